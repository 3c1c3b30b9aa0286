using System.Diagnostics;

namespace DevShell.Linux.Cgroups;

/// <summary>The outcome of <see cref="SamplerBench.Run"/>.</summary>
/// <param name="Version">The cgroup driver used.</param>
/// <param name="Envs">Groups sampled.</param>
/// <param name="Samples">Sampling rounds (one per second).</param>
/// <param name="MicrosecondsPerEnvSample">Mean wall time of one session's reading within a round.</param>
/// <param name="CpuMicrosecondsPerEnvSample">Mean CPU time (of the sampling thread) of one session's reading.</param>
/// <param name="MaxRoundMilliseconds">The slowest round (wall).</param>
/// <param name="SamplerCpu">CPU time the sampling thread spent in Sample() over the period.</param>
/// <param name="ProcessCpu">CPU time the whole process used over the period (runtime threads included).</param>
/// <param name="Wall">The sampling period.</param>
public sealed record SamplerBenchResult(
    CgroupVersion Version,
    int Envs,
    int Samples,
    double MicrosecondsPerEnvSample,
    double CpuMicrosecondsPerEnvSample,
    double MaxRoundMilliseconds,
    TimeSpan SamplerCpu,
    TimeSpan ProcessCpu,
    TimeSpan Wall)
{
    /// <summary>Sampling CPU over the period, in percent of one core (the budget is 2%).</summary>
    public double SamplerCpuPercentOfOneCore => Wall > TimeSpan.Zero ? SamplerCpu / Wall * 100 : 0;

    /// <summary>Process CPU over the period, in percent of one core.</summary>
    public double ProcessCpuPercentOfOneCore => Wall > TimeSpan.Zero ? ProcessCpu / Wall * 100 : 0;

    public override string ToString() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"cgroup {Version}: {Envs} envs x {Samples} samples at 1 Hz: per env sample {MicrosecondsPerEnvSample:0.0} us wall, {CpuMicrosecondsPerEnvSample:0.0} us CPU; slowest round {MaxRoundMilliseconds:0.00} ms; sampling CPU {SamplerCpuPercentOfOneCore:0.00}% of one core, whole process {ProcessCpuPercentOfOneCore:0.00}% ({ProcessCpu.TotalMilliseconds:0} ms over {Wall.TotalSeconds:0.0} s)");
}

/// <summary>
/// Measures the sampler on this host: N idle groups with one sleep each, sampled at 1 Hz. Needs root. The groups
/// live under a private parent "devshell-bench-&lt;guid8&gt;" (so gc of the real parent leaves them alone), and
/// everything it creates (processes by pid, groups, the parent) is removed afterwards.
/// </summary>
public static class SamplerBench
{
    public static SamplerBenchResult Run(int envs, int seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(envs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seconds);
        string prefix = "bench-" + Guid.NewGuid().ToString("N")[..8];
        ICgroupDriver driver = CgroupHost.Detect().CreateDriver("devshell-" + prefix);
        var handles = new List<CgroupHandle>(envs);
        var processes = new List<Process>(envs);
        try
        {
            using var sampler = new UsageSampler();
            for (int i = 0; i < envs; i++)
            {
                CgroupHandle handle = driver.Create($"{prefix}-{i}", new CgroupLimits(MemoryBytes: 64L << 20, CpuCores: 0.5, Pids: 64));
                handles.Add(handle);
                var sleep = Process.Start(new ProcessStartInfo("sleep", "3600") { UseShellExecute = false })
                    ?? throw new InvalidOperationException("could not start sleep");
                processes.Add(sleep);
                handle.AddProcess(sleep.Id);
                sampler.Add(handle.Name, handle, netInterface: "lo", groupIsNew: true);
            }

            sampler.Sample(); // opens the files; not measured
            using var self = Process.GetCurrentProcess();
            TimeSpan cpu0 = self.TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            double totalSampleMs = 0, maxMs = 0;
            long samplerCpuNs = 0;
            for (int round = 1; round <= seconds; round++)
            {
                // Sleep until the next whole second since start, like a 1 Hz UI timer.
                TimeSpan due = TimeSpan.FromSeconds(round) - Stopwatch.GetElapsedTime(start);
                if (due > TimeSpan.Zero)
                {
                    Thread.Sleep(due);
                }

                long c0 = Interop.Sys.ThreadCpuTimeNs();
                long t0 = Stopwatch.GetTimestamp();
                IReadOnlyList<SessionSnapshot> snapshots = sampler.Sample();
                double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                samplerCpuNs += Interop.Sys.ThreadCpuTimeNs() - c0;
                totalSampleMs += ms;
                maxMs = Math.Max(maxMs, ms);
                if (snapshots.Count != envs || !snapshots[0].Alive)
                {
                    throw new InvalidOperationException($"sampler returned {snapshots.Count} snapshots, first alive: {snapshots.Count > 0 && snapshots[0].Alive}");
                }
            }

            TimeSpan wall = Stopwatch.GetElapsedTime(start);
            self.Refresh();
            TimeSpan cpu = self.TotalProcessorTime - cpu0;
            return new SamplerBenchResult(
                driver.Version,
                envs,
                seconds,
                totalSampleMs * 1000 / seconds / envs,
                samplerCpuNs / 1000.0 / seconds / envs,
                maxMs,
                TimeSpan.FromTicks(samplerCpuNs / 100),
                cpu,
                wall);
        }
        finally
        {
            foreach (Process p in processes)
            {
                try
                {
                    p.Kill();
                    p.WaitForExit(5000);
                }
                catch (InvalidOperationException)
                {
                    // Already exited.
                }

                p.Dispose();
            }

            foreach (CgroupHandle h in handles)
            {
                driver.TryRemove(h, TimeSpan.FromSeconds(5), killRemaining: true);
            }

            driver.TryRemoveParent();
        }
    }
}
