namespace Aspire.Hosting.ApplicationModel;

/// <summary>The newest lines of a resource's console output, numbered so a reader can tail from where it was.</summary>
public sealed class LogBuffer(int capacity = LogBuffer.DefaultCapacity)
{
    public const int DefaultCapacity = 10_000;

    private readonly Queue<LogLine> _lines = new();
    private readonly Lock _gate = new();
    private long _nextNumber = 1;

    public void Append(string text, bool isError = false)
    {
        lock (_gate)
        {
            _lines.Enqueue(new LogLine(_nextNumber++, DateTime.UtcNow, text, isError));
            if (_lines.Count > capacity)
            {
                _lines.Dequeue();
            }
        }
    }

    public IReadOnlyList<LogLine> ReadAfter(long lineNumber, int max = DefaultCapacity)
    {
        lock (_gate)
        {
            return _lines.Where(l => l.Number > lineNumber).Take(max).ToList();
        }
    }

    public IReadOnlyList<string> Tail(int count)
    {
        lock (_gate)
        {
            return _lines.Skip(Math.Max(0, _lines.Count - count)).Select(l => l.Text).ToList();
        }
    }
}

public sealed record LogLine(long Number, DateTime Timestamp, string Text, bool IsError);
