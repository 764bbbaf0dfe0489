// The local orchestrator runs Debian's PostgreSQL and Redis through POSIX process control; deployment targets Linux too.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
