using System.Globalization;
using System.Text.Json;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Launch;

/// <summary>
/// An idle env's PID 1 unmaps the clean pages of its own binary once its command has run for a second (IdlePages in
/// stage two): they stay in the page cache, and the reap loop faults back the few it needs.
/// </summary>
[Collection("env")]
public sealed class IdlePagesTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void An_idle_pid_1_keeps_less_than_half_of_its_binary_mapped_and_still_reports_the_exit()
    {
        if (!Requires.Root(output)) return;
        var add = _cli.RunWith("""{ "name": "idle", "shell": "/bin/sh", "network": { "mode": "none" } }""", TimeSpan.FromSeconds(30), "profile", "add", "-");
        Assert.True(add.Code == 0, add.ToString());
        string mark = Path.Combine(_cli.Dir, "go");
        using var env = _cli.Start(["run", "idle", "--", "sh", "-c", $"while [ ! -e {mark} ]; do sleep 0.05; done; exit 5"]);

        int init = 0;
        for (int i = 0; i < 200 && init == 0; i++)
        {
            Thread.Sleep(50);
            using var ps = JsonDocument.Parse(_cli.Run("ps", "--json").Out);
            foreach (var s in ps.RootElement.EnumerateArray())
            {
                if (s.TryGetProperty("init_pid", out var pid) && pid.ValueKind == JsonValueKind.Number) init = pid.GetInt32();
            }
        }
        Assert.True(init > 1, "the env's PID 1 never showed in ps");
        long binary = new FileInfo(Artifacts.Stage2).Length / 1024;
        long mapped = -1;
        for (int i = 0; i < 60 && (mapped < 0 || mapped >= binary / 2); i++)
        {
            Thread.Sleep(100);
            mapped = FileBackedKb(init);
        }
        output.WriteLine($"stage two is {binary} kB; PID 1 {init} maps {mapped} kB of files after its command ran >1 s");

        File.WriteAllText(mark, "");
        Assert.True(env.WaitForExit(30_000));
        Assert.InRange(mapped, 1, binary / 2 - 1);
        Assert.Equal(5, env.ExitCode);
    }

    private static long FileBackedKb(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("RssFile:", StringComparison.Ordinal))
            {
                return long.Parse(line[8..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidOperationException($"no RssFile in /proc/{pid}/status");
    }
}
