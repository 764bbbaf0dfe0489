using SocialChat.LoadTest.Reporting;

namespace SocialChat.Tests.Benchmarks;

public sealed class LocalProcessesTests
{
    [Fact]
    public void The_machines_stolen_time_is_the_steal_count_of_its_cpu_line()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice, in clock ticks of 1/100 s
        var stolen = LocalProcesses.StolenTimeIn("cpu  3888291 5196 487741 2043990 21782 0 125029 55313 0 0");

        Assert.Equal(TimeSpan.FromSeconds(553.13), stolen);
    }
}
