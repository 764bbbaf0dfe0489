using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.Dashboard.Telemetry;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;
using SocialChat.Data.Realtime;
using static Microsoft.Playwright.Assertions;

namespace SocialChat.Tests.Hosting;

/// <summary>A system of its own with the dashboard, so that every service exports its telemetry to the dashboard's OTLP receiver.</summary>
public sealed class DashboardTelemetryTests(DashboardTelemetryTests.SystemWithDashboard system) : IClassFixture<DashboardTelemetryTests.SystemWithDashboard>
{
    // Exports run every second (the app host's development settings); Redis spans are flushed every 10 s.
    private static readonly TimeSpan ExportWait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_request_through_the_Api_is_a_trace_with_its_database_call_under_the_request_span()
    {
        var user = await TestUser.RegisterAsync(system.App);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/users/me");
        var (traceId, trace) = await TracedAsync(user, request, HttpStatusCode.OK);

        var requestSpan = Assert.Single(trace.Spans, row => row.Span.Kind == "Server").Span;
        Assert.Equal("api", requestSpan.Resource);
        Assert.Equal("/api/v1/users/me", requestSpan.Attributes["url.path"]);
        var databaseCall = trace.Spans.First(row => IsDatabaseCall(row.Span));
        Assert.Equal(requestSpan.SpanId, databaseCall.Span.ParentSpanId);
        Assert.Equal("Client", databaseCall.Span.Kind);
        Assert.True(databaseCall.Depth > trace.Spans.Single(row => row.Span == requestSpan).Depth, "the waterfall draws the database call under the request");
        // Spans keep arriving for a while (the Redis instrumentation flushes every 10 s): the list counts what has come so far.
        var listed = await system.Dashboard.GetFromJsonAsync<List<TraceSummary>>("/api/telemetry/traces?resource=api&status=ok&limit=1000");
        var summary = Assert.Single(listed!, t => t.TraceId == traceId);
        Assert.InRange(summary.SpanCount, trace.Spans.Count, (await system.GetOrNullAsync<TraceDetail>($"/api/telemetry/traces/{traceId}"))!.Spans.Count);

        // The session check is a Redis call of the same request; the Redis instrumentation sends it on its own schedule.
        var withSessionCheck = await Eventually.HoldsAsync(
            () => system.GetOrNullAsync<TraceDetail>($"/api/telemetry/traces/{traceId}"),
            t => t is not null && t.Spans.Any(row => IsCallTo(row.Span, "redis")), ExportWait);
        var sessionCheck = withSessionCheck?.Spans.FirstOrDefault(row => IsCallTo(row.Span, "redis"));
        Assert.True(sessionCheck is not null, "the request's trace has no Redis call");
        Assert.Equal(requestSpan.SpanId, sessionCheck.Span.ParentSpanId);

        var page = await system.Dashboard.GetStringAsync($"/traces/{traceId}");
        Assert.Contains("GET /api/v1/users/me", page);
        Assert.Contains(WebUtility.HtmlEncode(databaseCall.Span.Name), page);
    }

    [Fact]
    public async Task The_traces_page_lists_a_message_send_and_opens_it_as_a_waterfall_in_a_browser()
    {
        var sender = await TestUser.RegisterAsync(system.App);
        var reader = await TestUser.RegisterAsync(system.App);
        var direct = await Chat.OpenDirectAsync(sender, reader);
        using var send = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/conversations/{direct.Id}/messages")
        {
            Content = JsonContent.Create(new { clientMessageId = Guid.NewGuid(), body = "traced" }),
        };
        var (traceId, trace) = await TracedAsync(sender, send, HttpStatusCode.Created);
        var requestSpanName = trace.Spans.Single(row => row.Span.Kind == "Server").Span.Name;

        await using var chromium = await HeadlessChromium.LaunchAsync(nameof(The_traces_page_lists_a_message_send_and_opens_it_as_a_waterfall_in_a_browser));
        var page = await chromium.NewPersonAsync("developer");
        await page.GotoAsync(system.Dashboard.BaseAddress + "traces");
        await page.SelectOptionAsync("select[name=resource]", "api");
        await page.ClickAsync("form button");
        await Expect(page).ToHaveURLAsync(new Regex("resource=api"));
        var listed = page.Locator($"a[href='/traces/{traceId}']");
        await Expect(listed).ToHaveTextAsync(requestSpanName);
        await chromium.ScreenshotAsync(page, "traces-of-the-api");

        await listed.ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync($"Trace {requestSpanName}");
        // Every span is a row with its bar on the timeline; spans that arrived since the JSON read above may add rows.
        var rows = page.Locator("tbody tr");
        Assert.InRange(await rows.CountAsync(), trace.Spans.Count, int.MaxValue);
        Assert.Equal(await rows.CountAsync(), await page.Locator(".bar").CountAsync());
        var requestRow = rows.First;
        await Expect(requestRow.Locator("summary")).ToHaveTextAsync(requestSpanName);
        var databaseSpan = trace.Spans.First(row => IsDatabaseCall(row.Span));
        var databaseRow = rows.Filter(new() { Has = page.Locator("summary", new() { HasText = databaseSpan.Span.Name }) }).First;
        // The waterfall draws a child to the right of its parent: its cell is indented by its depth.
        Assert.True(await IndentOf(databaseRow) > await IndentOf(requestRow), "the database call is not drawn under the request");

        await databaseRow.Locator("summary").ClickAsync();
        await Expect(databaseRow.Locator("details")).ToContainTextAsync("postgresql");
        await chromium.ScreenshotAsync(page, "the-send-as-a-waterfall-with-the-database-call-open");
    }

    /// <summary>
    /// Sends the request in a trace of the test's own, then waits until the dashboard has that trace with its
    /// request span and a database call (a parent span is exported after its children, so either may come first).
    /// </summary>
    private async Task<(string TraceId, TraceDetail Trace)> TracedAsync(TestUser user, HttpRequestMessage request, HttpStatusCode expected)
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        Assert.Equal(expected, (await user.Client.SendAsync(request)).StatusCode);
        var trace = await Eventually.HoldsAsync(
            () => system.GetOrNullAsync<TraceDetail>($"/api/telemetry/traces/{traceId}"),
            t => t is not null && t.Spans.Any(row => IsDatabaseCall(row.Span)) && t.Spans.Any(row => row.Span.Kind == "Server"), ExportWait);
        Assert.NotNull(trace);
        return (traceId, trace);
    }

    private static Task<double> IndentOf(ILocator row) =>
        row.Locator("td").First.EvaluateAsync<double>("cell => parseFloat(getComputedStyle(cell).paddingLeft)");

    [Fact]
    public async Task The_receiver_answers_what_is_not_OTLP_protobuf_with_a_problem()
    {
        using var json = await system.Dashboard.PostAsync("/v1/traces", JsonContent.Create(new { resourceSpans = Array.Empty<object>() }));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Equal("application/problem+json", json.Content.Headers.ContentType?.MediaType);

        using var garbage = new ByteArrayContent([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        garbage.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var refused = await system.Dashboard.PostAsync("/v1/logs", garbage);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_warning_a_service_logs_is_listed_with_its_level_trace_id_and_attributes()
    {
        var user = await TestUser.RegisterAsync(system.App);
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var anonymous = system.App.CreateHttpClient("api");
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var login = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login")
            {
                Content = JsonContent.Create(new { login = user.User.Username, password = "not the password at all", deviceName = "test" }),
            };
            login.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(login)).StatusCode);
        }

        var logs = await Eventually.HoldsAsync(
            () => system.Dashboard.GetFromJsonAsync<List<LogEntry>>($"/api/telemetry/logs?traceId={traceId}&level=Warning"),
            l => l is { Count: > 0 }, ExportWait);

        var warning = Assert.Single(logs!);
        Assert.Equal("Warning", warning.Level);
        Assert.Equal(traceId, warning.TraceId);
        Assert.Equal("api", warning.Resource);
        Assert.StartsWith("Sign-in locked", warning.Message);
        Assert.Equal("127.0.0.1", warning.Attributes["ClientAddress"]);
        Assert.DoesNotContain(user.User.Username, warning.Message);
        var byText = await system.Dashboard.GetFromJsonAsync<List<LogEntry>>("/api/telemetry/logs?resource=api&text=sign-in%20locked&limit=1000");
        Assert.Contains(byText!, l => l.Id == warning.Id);
        Assert.Equal(HttpStatusCode.BadRequest, (await system.Dashboard.GetAsync("/api/telemetry/logs?level=loud")).StatusCode);
    }

    [Fact]
    public async Task The_connections_gauge_of_a_Realtime_node_rises_when_a_client_connects_and_falls_when_it_leaves()
    {
        var user = await TestUser.RegisterAsync(system.App);
        var before = await system.HubConnectionsAsync();

        var client = await HubClient.ConnectAsync(system.App.GetEndpoint("realtime", "http", 0), user.AccessToken);
        var connected = await Eventually.HoldsAsync(system.HubConnectionsAsync, value => value > before, ExportWait);
        Assert.True(connected > before, $"socialchat.hub.connections stayed at {connected} (was {before}) after a client connected");

        // Each hub method invocation is a span of its own (ASP.NET Core's Microsoft.AspNetCore.SignalR.Server source).
        await client.Connection.InvokeAsync<List<PresenceResponse>>("SubscribePresence", new[] { user.Id });
        var invocations = await Eventually.HoldsAsync(
            () => system.Dashboard.GetFromJsonAsync<List<TraceSummary>>("/api/telemetry/traces?resource=realtime-0&limit=1000"),
            traces => traces!.Any(t => t.Name.EndsWith("/SubscribePresence", StringComparison.Ordinal)), ExportWait);
        Assert.Contains(invocations!, t => t.Name == "SocialChat.Data.Realtime.ChatHub/SubscribePresence");

        await client.DisposeAsync();
        var left = await Eventually.HoldsAsync(system.HubConnectionsAsync, value => value < connected, ExportWait);
        Assert.True(left < connected, $"socialchat.hub.connections stayed at {left} after the client left");
    }

    [Fact]
    public async Task Sends_that_arrive_together_share_commits_and_the_Api_reports_how_many_each_commit_stored()
    {
        var owner = await TestUser.RegisterAsync(system.App);
        var members = await Task.WhenAll(Enumerable.Range(0, 9).Select(_ => TestUser.RegisterAsync(system.App)));
        var group = await Chat.CreateGroupAsync(owner, members);
        TestUser[] senders = [owner, .. members];

        var sent = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Chat.SendAsync(senders[i % senders.Length], group.Id, $"burst {i}")));

        var exported = await Eventually.HoldsAsync(
            () => system.GetOrNullAsync<InstrumentDetail>("/api/telemetry/metrics/api/socialchat.messages.commit.sends"),
            detail => detail is not null && CommitsAndSends(detail).Sends >= sent.Length, ExportWait);
        Assert.NotNull(exported);
        var (commits, sends) = CommitsAndSends(exported);
        Assert.True(sends > commits, $"{sends} sends in {commits} commits: no commit stored more than one");
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), sent.Select(m => m.Seq).Order());
    }

    /// <summary>A histogram's point counts what was recorded (here commits) and adds it up (their sends).</summary>
    private static (double Commits, double Sends) CommitsAndSends(InstrumentDetail detail) =>
        detail.Cumulative
            ? (detail.Points[^1].Value, detail.Points[^1].Sum ?? 0)
            : (detail.Points.Sum(p => p.Value), detail.Points.Sum(p => p.Sum ?? 0));

    // Npgsql names its spans' database system in db.system.name (semantic conventions 1.26+) or db.system before.
    private static bool IsDatabaseCall(SpanEntry span) => IsCallTo(span, "postgresql");

    private static bool IsCallTo(SpanEntry span, string system) =>
        span.Attributes.GetValueOrDefault("db.system.name", span.Attributes.GetValueOrDefault("db.system", "")) == system;

    public sealed class SystemWithDashboard : IAsyncLifetime
    {
        public DistributedApplication App { get; private set; } = null!;

        public HttpClient Dashboard { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            var port = TestEnvironment.FreePort();
            App = await SocialChatAppFixture.StartAppAsync(dashboardPort: port);
            Dashboard = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        }

        public async Task<T?> GetOrNullAsync<T>(string path) where T : class
        {
            using var response = await Dashboard.GetAsync(path);
            return response.StatusCode == HttpStatusCode.NotFound ? null : await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<T>();
        }

        /// <summary>The latest exported value on realtime-0, or 0 before the gauge was first exported.</summary>
        public async Task<double> HubConnectionsAsync() =>
            (await GetOrNullAsync<InstrumentDetail>("/api/telemetry/metrics/realtime-0/socialchat.hub.connections"))?.Summary.LatestValue ?? 0;

        public async ValueTask DisposeAsync()
        {
            Dashboard.Dispose();
            await App.DisposeAsync();
        }
    }
}
