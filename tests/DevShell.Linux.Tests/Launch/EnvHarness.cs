using DevShell.Core.Profiles;
using DevShell.Linux.Cgroups;
using DevShell.Linux.Identity;
using DevShell.Linux.Launch;
using DevShell.Linux.Launch.Parts;
using DevShell.Linux.Tests.Support;

namespace DevShell.Linux.Tests.Launch;

/// <summary>A real launcher (real namespaces, cgroups, stage two) with a temp run dir and a recording journal.</summary>
public sealed class EnvHarness : IDisposable
{
    private readonly string _dir = Path.Combine("/var/tmp", "dstest-" + Guid.NewGuid().ToString("N")[..8]);

    public EnvHarness()
    {
        Directory.CreateDirectory(_dir);
        var driver = CgroupHost.Detect().CreateDriver();
        Cgroups = new CgroupPart(driver);
        Launcher = new Launcher(
            LauncherPaths.Discover(Path.Combine(_dir, "run")) with { Stage2 = Artifacts.Stage2 },
            [Cgroups, new HomePart(Path.Combine(_dir, "data"))],
            Journal);
    }

    public RecordingJournal Journal { get; } = new();
    public CgroupPart Cgroups { get; }
    public Launcher Launcher { get; }
    public string Dir => _dir;

    public static Profile Profile(string name = "itest") => new()
    {
        Name = name,
        Shell = "/bin/sh",
        Namespaces = ["uts", "ipc", "mount", "pid", "net"],
        Network = new NetworkSpec { Mode = "none" },
    };

    /// <summary>Runs <paramref name="command"/> (sh -c) in an env of <paramref name="profile"/> and returns exit code, stdout and stderr.</summary>
    public (int Code, string Out, string Err, LaunchOutcome Outcome) Run(Profile profile, string command, Developer? dev = null) =>
        RunArgv(profile, ["/bin/sh", "-c", command], dev);

    /// <summary>Runs <paramref name="argv"/> as the env's command (no shell in between).</summary>
    /// <param name="early">stage two started ahead of the launch, as the CLI does (see <see cref="EarlyInit"/>); the caller disposes it.</param>
    public (int Code, string Out, string Err, LaunchOutcome Outcome) RunArgv(Profile profile, IReadOnlyList<string> argv, Developer? dev = null,
        Func<LaunchRequest, EarlyInit?>? early = null)
    {
        string outPath = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".out");
        string errPath = outPath + ".err";
        using var stdout = File.Create(outPath);
        using var stderr = File.Create(errPath);
        using var stdin = File.OpenRead("/dev/null");
        var request = new LaunchRequest
        {
            Command = [.. argv],
            Stdio = ((int)stdin.SafeFileHandle.DangerousGetHandle(), (int)stdout.SafeFileHandle.DangerousGetHandle(), (int)stderr.SafeFileHandle.DangerousGetHandle()),
        };
        dev ??= Developer.Resolve(new Dictionary<string, string?>(), 0, 0);
        var started = early?.Invoke(request);
        var task = Task.Run(() => Launcher.Launch(profile, dev, request, new Dictionary<string, string?> { ["LANG"] = "C.UTF-8" }, early: started));
        if (!task.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException($"the env did not finish: {string.Join(' ', argv)}");
        var outcome = task.Result;
        stdout.Close();
        stderr.Close();
        return (outcome.ExitCode, File.ReadAllText(outPath), File.ReadAllText(errPath), outcome);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A seam for unit-level checks of what the launcher records (the store-backed journal is tested elsewhere).</summary>
public sealed class RecordingJournal : ISessionJournal
{
    public List<string> Lines { get; } = [];

    public void Starting(EnvContext env, LaunchRequest request, int launcherPid) => Add($"starting {env.SessionId}");
    public void Running(EnvContext env, int initPid) => Add($"running {env.SessionId} {initPid}");
    public void Ended(string sessionId, string state, int? exitCode, string? message) => Add($"ended {sessionId} {state} {exitCode} {message}");
    public void Detached(string sessionId) => Add($"detached {sessionId}");
    public void Record(string sessionId, string profile, string kind, string message, long? value = null, long? limit = null) => Add($"event {sessionId} {kind} {message}");

    private void Add(string line)
    {
        lock (Lines) Lines.Add(line);
    }
}
