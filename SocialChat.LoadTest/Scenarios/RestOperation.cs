using System.Net.Http.Headers;
using SocialChat.LoadTest.Reporting;

namespace SocialChat.LoadTest.Scenarios;

/// <summary>
/// One kind of REST request of a scenario, timed: how many, how many succeeded, their latency, the failures by kind.
/// Says whether it succeeded, with the answer's body when asked (readBody) for a scenario that goes on from it.
/// </summary>
internal sealed class RestOperation
{
    private readonly OperationTally _tally = new();

    public async Task<(bool Ok, string? Body)> TimeAsync(
        Func<HttpRequestMessage> create, string accessToken, HttpClient http, CancellationToken cancellationToken, bool readBody = false)
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
                return (true, readBody ? await response.Content.ReadAsStringAsync(cancellationToken) : null);
            }

            _tally.Failed($"HTTP {(int)response.StatusCode}");
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _tally.Failed(exception.GetType().Name);
        }

        return (false, null);
    }

    public long Count => _tally.Count;

    public OperationReport Report(double seconds) => _tally.Report(seconds);
}
