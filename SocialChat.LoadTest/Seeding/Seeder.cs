using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NpgsqlTypes;
using SocialChat.Data;
using SocialChat.Data.Auth;
using SocialChat.Data.Conversations;
using SocialChat.Data.Users;
using SocialChat.LoadTest.Target;

namespace SocialChat.LoadTest.Seeding;

/// <summary>
/// Prepares a run's users, sessions and conversations in bulk: rows by COPY, sessions cached in Redis by the
/// services' own <see cref="SessionStore"/>; their access tokens are signed by the services' own
/// <see cref="AccessTokenIssuer"/> with the same key where they are used (<see cref="SessionTokens"/>). So the hub and the Api check these tokens exactly as they check a logged-in user's,
/// without 100,000 password hashes through /register first (BENCHMARKS.md: why that is fair). It can also host
/// more of the services' own code in this process, as the <c>commit</c> scenario hosts their send path.
/// </summary>
internal sealed class Seeder : IAsyncDisposable
{
    /// <summary>Every seeded user's password, so a seeded account can also log in by hand.</summary>
    public const string Password = "load test passphrase, not a secret";

    private const int RedisBatch = 2_000;

    private readonly IHost _services;

    public Seeder(LoadTestOptions options, IReadOnlyDictionary<string, string?>? settings = null, Action<IHostApplicationBuilder>? addServices = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{DataExtensions.DatabaseConnectionName}"] = options.Postgres,
            [$"ConnectionStrings:{DataExtensions.CacheConnectionName}"] = options.Redis,
            [$"{JwtOptions.SectionName}:SigningKey"] = options.JwtSigningKey,
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.AddSocialChatData();
        builder.AddSocialChatAuthentication();
        addServices?.Invoke(builder);
        _services = builder.Build();
    }

    public IServiceProvider Services => _services.Services;

    public NpgsqlDataSource Database => Services.GetRequiredService<NpgsqlDataSource>();

    /// <summary>
    /// Users 0..n-1; group g holds members g, g+G, g+2G, … (so a group spans workers and Realtime nodes);
    /// direct d joins users 2d and 2d+1 (mod n).
    /// </summary>
    public async Task<SeedPlan> SeedAsync(int users, int groups, int groupSize, int directs, int historyPerConversation, IProgress<string> progress, CancellationToken cancellationToken)
    {
        if (groupSize > users || (directs > 0 && users < 2))
        {
            throw new ArgumentException($"{users} users cannot fill groups of {groupSize} or direct pairs.");
        }

        var runId = Guid.NewGuid().ToString("N")[..8];
        var stopwatch = Stopwatch.StartNew();
        var now = DateTime.UtcNow;
        var jwt = Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<JwtOptions>>().Value;
        var seeded = new SeededUser[users];
        for (var i = 0; i < users; i++)
        {
            seeded[i] = new SeededUser(i, Guid.CreateVersion7(), Guid.CreateVersion7());
        }

        var conversations = new List<SeededConversation>(groups + directs);
        for (var g = 0; g < groups; g++)
        {
            conversations.Add(new SeededConversation(Guid.CreateVersion7(), Direct: false,
                [.. Enumerable.Range(0, groupSize).Select(j => (int)(((long)groups * groupSize <= users ? g + ((long)j * groups) : ((long)g * groupSize) + j) % users))]));
        }

        for (var d = 0; d < directs; d++)
        {
            var a = (int)(2L * d % users);
            var b = (int)((2L * d + 1) % users);
            conversations.Add(new SeededConversation(Guid.CreateVersion7(), Direct: true, [a, b]));
        }

        var plan = new SeedPlan(runId, seeded, conversations);
        await using (var connection = await Database.OpenConnectionAsync(cancellationToken))
        {
            await CopyUsersAsync(connection, plan, now, cancellationToken);
            await CopySessionsAsync(connection, plan, now, now + jwt.RefreshTokenLifetime, cancellationToken);
            await CopyConversationsAsync(connection, plan, historyPerConversation, now, cancellationToken);
            await CopyHistoryAsync(connection, plan, historyPerConversation, now, cancellationToken);
        }

        progress.Report($"{users:N0} users, {conversations.Count:N0} conversations in PostgreSQL ({stopwatch.Elapsed.TotalSeconds:F1} s)");

        var sessions = Services.GetRequiredService<SessionStore>();
        foreach (var batch in seeded.Chunk(RedisBatch))
        {
            await Task.WhenAll(batch.Select(u => sessions.RememberAsync(u.SessionId, u.Id, now + jwt.RefreshTokenLifetime)));
        }

        progress.Report($"{users:N0} live sessions in Redis ({stopwatch.Elapsed.TotalSeconds:F1} s)");
        return plan;
    }

    private static async Task CopyUsersAsync(NpgsqlConnection connection, SeedPlan plan, DateTime now, CancellationToken cancellationToken)
    {
        // One salted hash for everyone: what is measured is connections and messages, not login.
        var passwordHash = new PasswordHasher<User>().HashPassword(null!, Password);
        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY users (id, username, email, normalized_email, password_hash, display_name, created_at, follower_count, following_count) FROM STDIN (FORMAT BINARY)",
            cancellationToken);
        foreach (var user in plan.Users)
        {
            var username = $"lt{plan.RunId}_{user.Index}";
            var email = $"{username}@loadtest.invalid";
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(user.Id, NpgsqlDbType.Uuid, cancellationToken);
            await writer.WriteAsync(username, NpgsqlDbType.Varchar, cancellationToken);
            await writer.WriteAsync(email, NpgsqlDbType.Varchar, cancellationToken);
            await writer.WriteAsync(email.ToUpperInvariant(), NpgsqlDbType.Varchar, cancellationToken);
            await writer.WriteAsync(passwordHash, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync($"Load {user.Index}", NpgsqlDbType.Varchar, cancellationToken);
            await writer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
            await writer.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
        }

        await writer.CompleteAsync(cancellationToken);
    }

    private static async Task CopySessionsAsync(NpgsqlConnection connection, SeedPlan plan, DateTime now, DateTime expiresAt, CancellationToken cancellationToken)
    {
        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY sessions (id, user_id, device_name, created_at, last_seen_at, expires_at, refresh_token_hash) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var user in plan.Users)
        {
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(user.SessionId, NpgsqlDbType.Uuid, cancellationToken);
            await writer.WriteAsync(user.Id, NpgsqlDbType.Uuid, cancellationToken);
            await writer.WriteAsync("load test", NpgsqlDbType.Varchar, cancellationToken);
            await writer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(expiresAt, NpgsqlDbType.TimestampTz, cancellationToken);
            // The seed's access tokens are signed directly (BENCHMARKS.md): no client holds a refresh token of these sessions.
            await writer.WriteAsync(RandomNumberGenerator.GetBytes(32), NpgsqlDbType.Bytea, cancellationToken);
        }

        await writer.CompleteAsync(cancellationToken);
    }

    private static async Task CopyConversationsAsync(NpgsqlConnection connection, SeedPlan plan, int history, DateTime now, CancellationToken cancellationToken)
    {
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY conversations (id, kind, title, direct_key, last_seq, member_count, created_at, updated_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var conversation in plan.Conversations)
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(conversation.Id, NpgsqlDbType.Uuid, cancellationToken);
                await writer.WriteAsync((conversation.Direct ? ConversationKind.Direct : ConversationKind.Group).ToString(), NpgsqlDbType.Varchar, cancellationToken);
                if (conversation.Direct)
                {
                    await writer.WriteNullAsync(cancellationToken);
                    await writer.WriteAsync(Conversations.DirectKeyOf(plan.Users[conversation.Members[0]].Id, plan.Users[conversation.Members[1]].Id), NpgsqlDbType.Varchar, cancellationToken);
                }
                else
                {
                    await writer.WriteAsync($"Load group {conversation.Id:N}"[..40], NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteNullAsync(cancellationToken);
                }

                await writer.WriteAsync((long)history, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(conversation.Members.Length, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }

        await using var members = await connection.BeginBinaryImportAsync(
            "COPY conversation_members (conversation_id, user_id, role, joined_at, last_read_seq) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var conversation in plan.Conversations)
        {
            for (var j = 0; j < conversation.Members.Length; j++)
            {
                await members.StartRowAsync(cancellationToken);
                await members.WriteAsync(conversation.Id, NpgsqlDbType.Uuid, cancellationToken);
                await members.WriteAsync(plan.Users[conversation.Members[j]].Id, NpgsqlDbType.Uuid, cancellationToken);
                await members.WriteAsync((j == 0 && !conversation.Direct ? MemberRole.Owner : MemberRole.Member).ToString(), NpgsqlDbType.Varchar, cancellationToken);
                await members.WriteAsync(now.AddTicks(j), NpgsqlDbType.TimestampTz, cancellationToken);
                await members.WriteAsync(0L, NpgsqlDbType.Bigint, cancellationToken);
            }
        }

        await members.CompleteAsync(cancellationToken);
    }

    private static async Task CopyHistoryAsync(NpgsqlConnection connection, SeedPlan plan, int history, DateTime now, CancellationToken cancellationToken)
    {
        if (history == 0)
        {
            return;
        }

        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY messages (id, conversation_id, seq, sender_id, client_message_id, body, created_at) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var conversation in plan.Conversations)
        {
            for (var seq = 1; seq <= history; seq++)
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, cancellationToken);
                await writer.WriteAsync(conversation.Id, NpgsqlDbType.Uuid, cancellationToken);
                await writer.WriteAsync((long)seq, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(plan.Users[conversation.Members[seq % conversation.Members.Length]].Id, NpgsqlDbType.Uuid, cancellationToken);
                await writer.WriteAsync(Guid.NewGuid(), NpgsqlDbType.Uuid, cancellationToken);
                await writer.WriteAsync($"seeded history message {seq}", NpgsqlDbType.Varchar, cancellationToken);
                await writer.WriteAsync(now.AddMilliseconds(seq - history), NpgsqlDbType.TimestampTz, cancellationToken);
            }
        }

        await writer.CompleteAsync(cancellationToken);
    }

    /// <summary>The last committed seq of each conversation: the truth that deliveries are counted against.</summary>
    public async Task<Dictionary<Guid, long>> LastSeqsAsync(IEnumerable<Guid> conversationIds, CancellationToken cancellationToken)
    {
        await using var command = Database.CreateCommand("SELECT id, last_seq FROM conversations WHERE id = ANY(@ids)");
        command.Parameters.AddWithValue("ids", conversationIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var lastSeqs = new Dictionary<Guid, long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            lastSeqs[reader.GetGuid(0)] = reader.GetInt64(1);
        }

        return lastSeqs;
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is IAsyncDisposable services)
        {
            await services.DisposeAsync();
        }
    }
}
