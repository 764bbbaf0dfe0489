using System.Text;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting.Publishing;

/// <summary>
/// The two-VPS deployment written from the same resource graph as the manifest: <c>db-vps/</c> (PostgreSQL,
/// PgBouncer in transaction pooling, Redis, firewall) and <c>main-vps/</c> (nginx, systemd units per service,
/// kernel limits, deploy script). Every secret is a placeholder; the files are stable, so a test can compare
/// them with what is committed.
/// </summary>
internal static class VpsBundlePublisher
{
    /// <summary>First local port of each service on the Main VPS; instance N listens on base + N.</summary>
    private static readonly Dictionary<string, int> BasePorts = new() { ["api"] = 5080, ["realtime"] = 5090, ["worker"] = 5070 };

    /// <summary>How many instances the Main VPS runs of each service: 2 cores serve 2 Api and 6 Realtime (100,000 sockets at ≤ 19,000 each).</summary>
    private static readonly Dictionary<string, int> Instances = new() { ["api"] = 2, ["realtime"] = 6, ["worker"] = 1 };

    public static async Task WriteAsync(JsonObject manifest, IReadOnlyList<IResource> resources, string outputDirectory)
    {
        var projects = resources.OfType<ProjectResource>().Select(p => p.Name).ToList();
        var files = new Dictionary<string, string>
        {
            ["db-vps/docker-compose.yml"] = DbCompose(),
            ["db-vps/postgresql.conf"] = PostgresConf(),
            ["db-vps/pgbouncer.ini"] = PgBouncerIni(),
            ["db-vps/make-userlist.sh"] = MakeUserlist(),
            ["db-vps/redis.conf"] = RedisConf(),
            ["db-vps/firewall.sh"] = Firewall(),
            ["db-vps/install-native.sh"] = InstallNative(),
            ["db-vps/.env.example"] = DbEnvExample(),
            ["main-vps/nginx/socialchat-http.conf"] = NginxHttpSite(),
            ["main-vps/nginx/socialchat.conf"] = NginxSite(),
            ["main-vps/nginx/nginx.conf"] = NginxMain(),
            ["main-vps/systemd/socialchat-worker.service"] = Unit("worker", "Worker", templated: false),
            ["main-vps/systemd/socialchat-api@.service"] = Unit("api", "Api", templated: true),
            ["main-vps/systemd/socialchat-realtime@.service"] = Unit("realtime", "Realtime", templated: true),
            ["main-vps/sysctl/99-socialchat.conf"] = Sysctl(),
            ["main-vps/deploy.sh"] = Deploy(projects),
            ["main-vps/socialchat.env.example"] = ServiceEnvironment(manifest, projects),
        };

        foreach (var (relativePath, content) in files)
        {
            var path = Path.Combine(outputDirectory, relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, content.ReplaceLineEndings("\n"));
            if (path.EndsWith(".sh", StringComparison.Ordinal))
            {
                File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
            }
        }
    }

    /// <summary>
    /// The environment every service gets, from the manifest's project env: manifest placeholders become
    /// addresses on the DB VPS (PostgreSQL through PgBouncer) and &lt;SECRETS&gt; the operator fills in.
    /// </summary>
    private static string ServiceEnvironment(JsonObject manifest, IReadOnlyList<string> projects)
    {
        var resources = manifest["resources"]!.AsObject();
        var environment = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var project in projects)
        {
            foreach (var (key, value) in resources[project]!["env"]!.AsObject())
            {
                if (key is "HTTP_PORTS" || key.StartsWith("services__", StringComparison.Ordinal))
                {
                    continue;
                }

                environment[key] = Placeholders.Aggregate(value!.GetValue<string>(), (text, p) => text.Replace(p.Key, p.Value, StringComparison.Ordinal));
            }
        }

        // Migrations take session-level locks and DDL that transaction pooling must not split: they go straight to PostgreSQL.
        environment["ConnectionStrings__migrations"] =
            "Host=<DB_VPS_PRIVATE_IP>;Port=5432;Username=postgres;Password=<POSTGRES_PASSWORD>;Database=socialdb";
        environment["Cors__AllowedOrigins__0"] = "<WEB_CLIENT_ORIGIN, e.g. https://app.example.com>";
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        environment["DOTNET_ENVIRONMENT"] = "Production";

        var text = new StringBuilder("""
            # /etc/socialchat/socialchat.env on the Main VPS (chmod 600). Generated from aspire-manifest.json:
            # fill in every <PLACEHOLDER>. Each systemd unit adds ASPNETCORE_URLS, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.

            """);
        foreach (var (key, value) in environment)
        {
            text.Append(key).Append('=').Append(value).Append('\n');
        }

        return text.ToString();
    }

    // PgBouncer in transaction mode hands each transaction a different server connection: no server-side
    // prepared statements (Max Auto Prepare=0 is Npgsql's default, kept explicit) and no session state to reset.
    private static readonly Dictionary<string, string> Placeholders = new()
    {
        ["{socialdb.connectionString}"] = "Host=<DB_VPS_PRIVATE_IP>;Port=6432;Username=postgres;Password=<POSTGRES_PASSWORD>;Database=socialdb;No Reset On Close=true;Max Auto Prepare=0",
        ["{cache.connectionString}"] = "<DB_VPS_PRIVATE_IP>:6379,password=<REDIS_PASSWORD>",
        ["{postgres.bindings.tcp.host}"] = "<DB_VPS_PRIVATE_IP>",
        ["{postgres.bindings.tcp.port}"] = "6432",
        ["{cache.bindings.tcp.host}"] = "<DB_VPS_PRIVATE_IP>",
        ["{cache.bindings.tcp.port}"] = "6379",
        ["{postgres-password.value}"] = "<POSTGRES_PASSWORD>",
        ["{cache-password.value}"] = "<REDIS_PASSWORD>",
        ["{jwt-signing-key.value}"] = "<JWT_SIGNING_KEY>",
    };

    private static string DbCompose() => """
        # DB VPS as containers: docker compose --env-file .env up -d
        # Everything binds to the private interface only; firewall.sh admits only the Main VPS.
        services:
          postgres:
            image: docker.io/library/postgres:17.6
            restart: unless-stopped
            environment:
              POSTGRES_USER: postgres
              POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
              POSTGRES_DB: socialdb
              POSTGRES_HOST_AUTH_METHOD: scram-sha-256
              POSTGRES_INITDB_ARGS: --auth-host=scram-sha-256 --auth-local=scram-sha-256
            command: ["postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"]
            volumes:
              - postgres-data:/var/lib/postgresql/data
              - ./postgresql.conf:/etc/postgresql/postgresql.conf:ro
            ports:
              - "${PRIVATE_IP}:5432:5432"
          pgbouncer:
            image: docker.io/edoburu/pgbouncer:v1.24.1-p1
            restart: unless-stopped
            depends_on: [postgres]
            volumes:
              - ./pgbouncer.ini:/etc/pgbouncer/pgbouncer.ini:ro
              - ./userlist.txt:/etc/pgbouncer/userlist.txt:ro
            ports:
              - "${PRIVATE_IP}:6432:6432"
          redis:
            image: docker.io/library/redis:7.4
            restart: unless-stopped
            command: ["sh", "-c", "redis-server /usr/local/etc/redis/redis.conf --requirepass \"$$REDIS_PASSWORD\""]
            environment:
              REDIS_PASSWORD: ${REDIS_PASSWORD}
            volumes:
              - redis-data:/data
              - ./redis.conf:/usr/local/etc/redis/redis.conf:ro
            ports:
              - "${PRIVATE_IP}:6379:6379"
        volumes:
          postgres-data:
          redis-data:

        """;

    private static string PostgresConf() => """
        # PostgreSQL on the DB VPS, sized for 4 vCPU / 16 GiB (scale shared_buffers and effective_cache_size with RAM).
        listen_addresses = '*'                 # the port is published on the private interface only
        port = 5432
        max_connections = 200                  # PgBouncer holds the pool; services never connect directly (migrations aside)
        shared_buffers = 4GB                   # ~25 % of RAM
        effective_cache_size = 12GB            # ~75 % of RAM
        work_mem = 16MB
        maintenance_work_mem = 512MB
        wal_buffers = 16MB
        synchronous_commit = on                # a message is durable before anyone is told of it
        checkpoint_completion_target = 0.9
        max_wal_size = 4GB
        random_page_cost = 1.1                 # SSD
        password_encryption = scram-sha-256
        log_min_duration_statement = 250ms

        """;

    private static string PgBouncerIni() => """
        ; PgBouncer in front of PostgreSQL, transaction pooling.
        [databases]
        socialdb = host=postgres port=5432 dbname=socialdb

        [pgbouncer]
        listen_addr = 0.0.0.0
        listen_port = 6432
        auth_type = scram-sha-256
        auth_file = /etc/pgbouncer/userlist.txt
        pool_mode = transaction
        ; Api ×2 + Realtime ×6 + Worker, each an Npgsql pool of up to 100 client connections.
        max_client_conn = 2000
        default_pool_size = 40
        reserve_pool_size = 10
        server_reset_query =
        ignore_startup_parameters = extra_float_digits
        ; Npgsql prepares nothing on the server unless asked (Max Auto Prepare=0), so no prepared-statement
        ; tracking is needed (and Debian 12's PgBouncer 1.18 has none).

        """;

    private static string MakeUserlist() => """
        #!/usr/bin/env bash
        # Writes userlist.txt for PgBouncer from PostgreSQL's own SCRAM verifier, so no clear password is stored.
        # Run once PostgreSQL is up, before PgBouncer starts: ./make-userlist.sh > userlist.txt && chmod 600 userlist.txt
        # (local connections need the password too: the cluster was created with --auth-local=scram-sha-256).
        set -euo pipefail
        docker compose exec -T postgres sh -c 'PGPASSWORD=$POSTGRES_PASSWORD exec psql -U postgres -Atc "$0"' \
          "SELECT '\"' || rolname || '\" \"' || rolpassword || '\"' FROM pg_authid WHERE rolname = 'postgres'"

        """;

    private static string RedisConf() => """
        # Redis on the DB VPS. Its password comes from the environment (--requirepass), never this file.
        bind 0.0.0.0
        protected-mode yes
        port 6379
        appendonly yes
        appendfsync everysec
        save ""
        # Redis holds sessions (rebuilt from PostgreSQL), timelines (rebuilt), presence, throttles and the
        # SignalR backplane. Under memory pressure only keys with a TTL may go; presence sets have none.
        maxmemory 4gb
        maxmemory-policy volatile-lru
        tcp-keepalive 60
        timeout 0

        """;

    private static string Firewall() => """
        #!/usr/bin/env bash
        # DB VPS firewall: SSH from anywhere, PgBouncer (6432), PostgreSQL (5432, migrations) and Redis (6379) from the Main VPS only.
        set -euo pipefail
        : "${MAIN_VPS_PRIVATE_IP:?set MAIN_VPS_PRIVATE_IP}"
        ufw --force reset
        ufw default deny incoming
        ufw default allow outgoing
        ufw allow 22/tcp
        for port in 6432 5432 6379; do
          ufw allow from "$MAIN_VPS_PRIVATE_IP" to any port "$port" proto tcp
        done
        ufw --force enable
        ufw status verbose

        """;

    private static string InstallNative() => """
        #!/usr/bin/env bash
        # The DB VPS from Debian packages instead of containers (as root). Fill .env first.
        set -euo pipefail
        cd "$(dirname "$0")"
        set -a; . ./.env; set +a
        apt-get update && apt-get install -y postgresql pgbouncer redis-server ufw
        version=$(ls /etc/postgresql | sort -V | tail -1)
        install -m 644 postgresql.conf "/etc/postgresql/$version/main/conf.d/socialchat.conf"
        echo "host socialdb postgres ${MAIN_VPS_PRIVATE_IP}/32 scram-sha-256" >> "/etc/postgresql/$version/main/pg_hba.conf"
        echo "host socialdb postgres 127.0.0.1/32 scram-sha-256" >> "/etc/postgresql/$version/main/pg_hba.conf"
        systemctl restart postgresql
        runuser -u postgres -- psql -c "ALTER USER postgres PASSWORD '${POSTGRES_PASSWORD}'"
        runuser -u postgres -- createdb socialdb || true
        sed 's/host=postgres/host=127.0.0.1/' pgbouncer.ini > /etc/pgbouncer/pgbouncer.ini
        runuser -u postgres -- psql -Atc "SELECT '\"' || rolname || '\" \"' || rolpassword || '\"' FROM pg_authid WHERE rolname = 'postgres'" > /etc/pgbouncer/userlist.txt
        chown postgres: /etc/pgbouncer/userlist.txt && chmod 600 /etc/pgbouncer/userlist.txt
        systemctl enable --now pgbouncer && systemctl restart pgbouncer
        install -m 640 -o redis redis.conf /etc/redis/socialchat.conf
        echo "requirepass ${REDIS_PASSWORD}" >> /etc/redis/socialchat.conf
        echo "include /etc/redis/socialchat.conf" >> /etc/redis/redis.conf
        systemctl restart redis-server
        ./firewall.sh

        """;

    private static string DbEnvExample() => """
        # DB VPS settings (copy to .env, chmod 600). Generate secrets with: openssl rand -base64 32 | tr -d '=+/'
        PRIVATE_IP=10.0.0.2
        MAIN_VPS_PRIVATE_IP=10.0.0.1
        POSTGRES_PASSWORD=<POSTGRES_PASSWORD>
        REDIS_PASSWORD=<REDIS_PASSWORD>

        """;

    private static string NginxMain() => """
        # /etc/nginx/nginx.conf on the Main VPS: sized for 100,000 WebSockets (each costs nginx two sockets).
        user www-data;
        worker_processes auto;
        worker_rlimit_nofile 250000;
        pid /run/nginx.pid;

        events {
            worker_connections 120000;
            multi_accept on;
        }

        http {
            sendfile on;
            tcp_nopush on;
            server_tokens off;
            include /etc/nginx/mime.types;
            access_log /var/log/nginx/access.log;
            error_log /var/log/nginx/error.log warn;
            include /etc/nginx/conf.d/*.conf;
            include /etc/nginx/sites-enabled/*;
        }

        """;

    // A site of its own, so that it can serve Let's Encrypt's challenge before the TLS site (whose certificate
    // does not exist yet) is enabled, and keeps serving renewals afterwards.
    private static string NginxHttpSite() => """
        # /etc/nginx/sites-available/socialchat-http on the Main VPS, enabled first: Let's Encrypt's HTTP challenge
        # (webroot /var/www/letsencrypt) and a redirect of everything else to HTTPS. Replace chat.example.com.
        server {
            listen 80;
            server_name chat.example.com;
            location /.well-known/acme-challenge/ { root /var/www/letsencrypt; }
            location / { return 301 https://$host$request_uri; }
        }

        """;

    private static string NginxSite()
    {
        var api = string.Join("\n", Enumerable.Range(0, Instances["api"]).Select(i => $"    server 127.0.0.1:{BasePorts["api"] + i};"));
        var realtime = string.Join("\n", Enumerable.Range(0, Instances["realtime"]).Select(i => $"    server 127.0.0.1:{BasePorts["realtime"] + i};"));
        return $$"""
            # /etc/nginx/sites-available/socialchat on the Main VPS, enabled once the certificate exists. Replace
            # chat.example.com; certificate from Let's Encrypt through socialchat-http (see the README):
            # certbot certonly --webroot -w /var/www/letsencrypt -d chat.example.com --deploy-hook "systemctl reload nginx"
            # (renewed by certbot.timer).
            upstream socialchat_api {
            {{api}}
                keepalive 64;
            }

            # WebSockets only, so no stickiness: clients connect with skipNegotiation and the WebSockets transport,
            # which makes a hub connection one request that lives on whichever node it reached. least_conn sends
            # each new socket to the instance holding the fewest, keeping 100,000 long-lived sockets even across
            # them. (ip_hash would not do: it hashes only the first three octets of an IPv4 address, so a /24 or
            # a carrier NAT, thousands of users, all land on one node.)
            upstream socialchat_realtime {
                least_conn;
            {{realtime}}
            }

            map $http_upgrade $connection_upgrade {
                default upgrade;
                ''      close;
            }

            server {
                # "listen … http2" rather than "http2 on": Debian 12's nginx 1.22 predates the directive.
                listen 443 ssl http2;
                server_name chat.example.com;
                ssl_certificate /etc/letsencrypt/live/chat.example.com/fullchain.pem;
                ssl_certificate_key /etc/letsencrypt/live/chat.example.com/privkey.pem;
                ssl_protocols TLSv1.2 TLSv1.3;
                client_max_body_size 64k;

                location /api/ {
                    proxy_pass http://socialchat_api;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header Host $host;
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    proxy_set_header X-Forwarded-Proto $scheme;
                }

                # A negotiated connection would meet a node that never saw its id: refuse it plainly instead.
                location ~ ^/hubs/.+/negotiate$ {
                    default_type application/problem+json;
                    return 400 '{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Negotiation is not served.","status":400,"detail":"Connect with skipNegotiation and the WebSockets transport."}';
                }

                location /hubs/ {
                    proxy_pass http://socialchat_realtime;
                    proxy_http_version 1.1;
                    proxy_set_header Upgrade $http_upgrade;
                    proxy_set_header Connection $connection_upgrade;
                    proxy_set_header Host $host;
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    proxy_set_header X-Forwarded-Proto $scheme;
                    # Above the hub's 15 s keep-alive and 30 s client timeout, so nginx never cuts a live socket.
                    proxy_read_timeout 75s;
                    proxy_send_timeout 75s;
                    proxy_buffering off;
                    # A stopping instance refuses new hub connections with 503 (a rolling restart): the upgrade, a GET, is
                    # tried on the next instance at once instead of costing the client a reconnect delay.
                    proxy_next_upstream error timeout http_503;
                }
            }

            """;
    }

    private static string Unit(string name, string project, bool templated)
    {
        var port = templated ? $"$(({BasePorts[name]} + %i))" : BasePorts[name].ToString(System.Globalization.CultureInfo.InvariantCulture);
        var instance = templated ? $"{name}-%i" : name;
        return $$"""
            # /etc/systemd/system/{{(templated ? $"socialchat-{name}@.service" : $"socialchat-{name}.service")}}{{(templated ? $" — instance N listens on 127.0.0.1:{BasePorts[name]}+N; enable socialchat-{name}@0 … @{Instances[name] - 1}" : "")}}
            [Unit]
            Description=SocialChat {{project}}{{(templated ? " %i" : "")}}
            After=network-online.target
            Wants=network-online.target

            [Service]
            Type=simple
            User=socialchat
            WorkingDirectory=/opt/socialchat/{{name}}
            EnvironmentFile=/etc/socialchat/socialchat.env
            Environment=OTEL_SERVICE_NAME={{name}}
            Environment=OTEL_RESOURCE_ATTRIBUTES=service.instance.id={{instance}}
            ExecStart=/bin/sh -c 'ASPNETCORE_URLS=http://127.0.0.1:{{port}} exec /usr/bin/dotnet /opt/socialchat/{{name}}/SocialChat.{{project}}.dll'
            Restart=on-failure
            RestartSec=2
            # One Realtime process holds up to ~19,000 sockets; leave room.
            LimitNOFILE=200000
            KillSignal=SIGTERM
            TimeoutStopSec=30

            [Install]
            WantedBy=multi-user.target

            """;
    }

    private static string Sysctl() => """
        # /etc/sysctl.d/99-socialchat.conf on the Main VPS: 100,000 client sockets plus nginx's upstream sockets.
        fs.file-max = 1000000
        fs.nr_open = 1000000
        net.core.somaxconn = 65535
        net.ipv4.tcp_max_syn_backlog = 65535
        net.ipv4.ip_local_port_range = 10240 65535
        net.ipv4.tcp_tw_reuse = 1
        net.ipv4.tcp_fin_timeout = 15
        net.core.netdev_max_backlog = 65535

        """;

    private static string Deploy(IReadOnlyList<string> projects) => $$"""
        #!/usr/bin/env bash
        # Build on a workstation, copy to the Main VPS, migrate, then restart with no downtime for realtime clients:
        #   MAIN_VPS=deploy@main-vps ./deploy.sh
        # Realtime instances restart one at a time, each waiting until the previous one is healthy again, so
        # clients reconnect (with jitter) to the others and catch up with GET …/messages?after=.
        # Only build what would be copied, into DIR (one folder per service), and deploy nothing:
        #   ./deploy.sh --publish-only DIR
        set -euo pipefail
        root="$(cd "$(dirname "$0")/../.." && pwd)"
        if [[ "${1:-}" == --publish-only ]]; then
          out="${2:?usage: ./deploy.sh --publish-only DIR}"
        else
          : "${MAIN_VPS:?set MAIN_VPS=user@host}"
          out="$(mktemp -d)"
        fi
        # ReadyToRun, for the VPS's linux-x64: a service starts with its code compiled ahead, so the requests right after
        # a restart don't wait on the JIT (BENCHMARKS.md: a fresh Api's p99 over its first 15 s, 0.6 s instead of 1.5 s).
        for project in {{string.Join(" ", projects.Select(p => $"{char.ToUpperInvariant(p[0])}{p[1..]}"))}}; do
          dotnet publish "$root/SocialChat.$project/SocialChat.$project.csproj" -c Release -r linux-x64 --self-contained false \
            -p:PublishReadyToRun=true -o "$out/$(echo "$project" | tr 'A-Z' 'a-z')"
        done
        [[ "${1:-}" != --publish-only ]] || exit 0
        rsync -az --delete "$out/" "$MAIN_VPS:/opt/socialchat.new/"
        ssh "$MAIN_VPS" 'bash -s' <<'REMOTE'
        set -euo pipefail
        sudo rsync -a --delete /opt/socialchat.new/ /opt/socialchat/
        healthy() { for _ in $(seq 60); do curl -fsS "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 1; done; return 1; }
        # The Worker applies migrations (straight to PostgreSQL) before it reports healthy.
        sudo systemctl restart socialchat-worker && healthy {{BasePorts["worker"]}}
        # Every enabled instance, so one added later (socialchat-realtime@6 …) is deployed too.
        instances() { ls /etc/systemd/system/multi-user.target.wants/ | sed -n "s/^socialchat-$1@\([0-9]*\)\.service$/\1/p" | sort -n; }
        for i in $(instances api); do sudo systemctl restart "socialchat-api@$i" && healthy $(({{BasePorts["api"]}} + i)); done
        for i in $(instances realtime); do sudo systemctl restart "socialchat-realtime@$i" && healthy $(({{BasePorts["realtime"]}} + i)); done
        REMOTE

        """;
}
