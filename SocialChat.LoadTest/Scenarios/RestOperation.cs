using System.Net.Http.Headers;
using SocialChat.LoadTest.Reporting;

namespace SocialChat.LoadTest.Scenarios;

/// <summary>One kind of REST request of a scenario, timed: how many, how many succeeded, their latency, the failures by kind.</summary>
internal sealed class RestOperation
{
    private readonly OperationTally _tally = new();

    public async Task TimeAsync(Func<HttpRequestMessage> create, string accessToken, HttpClient http, CancellationToken cancellationToken)
    {
        var started = _tally.Begin();
        try
        {
            using var request = create();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            using var response = await http.SendAsync(request, cancellationToken);
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                _tally.Succeeded(started);
            }
            else
            {
                _tally.Failed($"HTTP {(int)response.StatusCode}");
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _tally.Failed(exception.GetType().Name);
        }
    }

    public long Count => _tally.Count;

    public OperationReport Report(double seconds) => _tally.Report(seconds);
}
