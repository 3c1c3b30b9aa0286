using DevShell.Linux.Launch;
using DevShell.Linux.Tests.Support;
using Tmds.Linux;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Launch;

/// <summary>
/// Stage two started ahead of its env (PendingInit): it waits for its spec on a pipe, touches nothing until then, and
/// a launch that stops before it sends the spec leaves no process.
/// </summary>
public sealed class PendingInitTests(ITestOutputHelper output)
{
    private static readonly int Flags = LibC.CLONE_NEWNS | LibC.CLONE_NEWPID | LibC.CLONE_NEWUTS | LibC.CLONE_NEWIPC | LibC.CLONE_NEWNET;

    private static PendingInit Start(Action? before = null) =>
        PendingInit.Start(Artifacts.Stage2, Flags,
            new LaunchRequest { Command = ["true"], Interactive = false, Tty = false, Stdio = (0, 1, 2) },
            ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], before ?? (() => { }));

    [Fact]
    public void Stage_two_started_ahead_waits_for_its_spec_and_an_abort_kills_and_reaps_it()
    {
        if (!Requires.Root(output)) return;
        using var init = Start();
        int pid = init.Spawned();
        // Past its runtime start it blocks in read(2) on the spec pipe, PID 1 of new namespaces, in this process's group
        // of children: nothing of an env exists for it yet.
        string state = "";
        for (int i = 0; i < 200 && !(state = Status(pid, "State")).StartsWith('S'); i++) Thread.Sleep(10);
        output.WriteLine($"pid {pid}: {state}; NSpid {Status(pid, "NSpid")}");
        Assert.StartsWith("S", state, StringComparison.Ordinal);
        Assert.EndsWith("\t1", Status(pid, "NSpid"), StringComparison.Ordinal);
        Assert.Equal("devshell-stage2\0init\0", File.ReadAllText($"/proc/{pid}/cmdline").Replace(Artifacts.Stage2, "devshell-stage2", StringComparison.Ordinal));

        init.Abort();

        Assert.False(Directory.Exists($"/proc/{pid}"), $"stage two ({pid}) is still there after the abort");
        init.Abort(); // a second abort is harmless
    }

    [Fact]
    public void Stage_two_whose_front_ends_without_sending_a_spec_exits_and_says_so()
    {
        if (!Requires.Root(output)) return;
        // A front killed before the go closes the pipe without writing to it: stage two reads an empty spec.
        using var init = Start();
        int pid = init.Go("");
        using var status = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(init.StatusRead, ownsHandle: false), FileAccess.Read);
        string said = new StreamReader(status).ReadToEnd();
        int code = init.Wait();
        output.WriteLine($"pid {pid}, exit {code}: {said}");

        Assert.Equal(StatusProtocol.SetupFailedExitCode, code);
        Assert.StartsWith($"{StatusProtocol.Error} spec ", said, StringComparison.Ordinal);
        Assert.False(Directory.Exists($"/proc/{pid}"));
    }

    [Fact]
    public async Task The_spawn_waits_for_what_runs_before_it()
    {
        if (!Requires.Root(output)) return;
        using var gate = new ManualResetEventSlim();
        using var init = Start(before: () => gate.Wait());
        var spawned = Task.Run(init.Spawned);
        var first = await Task.WhenAny(spawned, Task.Delay(200));
        Assert.NotSame(spawned, first); // not spawned before the parts' begun work was done
        gate.Set();
        int pid = await spawned.WaitAsync(TimeSpan.FromSeconds(10));
        init.Abort();
        Assert.False(Directory.Exists($"/proc/{pid}"));
    }

    private static string Status(int pid, string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(key + ":", StringComparison.Ordinal)) return line[(key.Length + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }
        return "";
    }
}
