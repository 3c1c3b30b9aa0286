using DevShell.Core.Profiles;
using DevShell.Linux.Interop;

namespace DevShell.Linux.Launch;

/// <summary>
/// Stage two started at the front's first moment, for the launch its command line names: before the command line is
/// parsed, the engine built and the session claimed. Its process and runtime start (~6 ms here), which a launch
/// otherwise waits for after the claim (see <see cref="PendingInit"/>), then overlaps all of that front work.
/// <para>
/// Only for a launch whose namespaces the profile alone fixes: not a bridged env, whose network namespace is made on
/// the spawning thread and named after the session (see <see cref="IEnvironmentPart.OnSpawnThread"/>), and only as
/// root (otherwise the launch stops at its preflight, with the message that says why). Like any pending stage two it
/// has touched nothing until its spec arrives, and a front that dies takes its spec pipe with it.
/// </para>
/// The launch adopts it (<see cref="Adopt"/>) when the profile it actually runs still calls for the same namespaces
/// and terminal (a profile edited in between may not); otherwise, or when the front fails before its launch,
/// <see cref="Dispose"/> kills and reaps it.
/// </summary>
public sealed class EarlyInit : IDisposable
{
    private PendingInit? _init;
    private readonly string _stage2;
    private readonly int _flags;
    private readonly LaunchRequest _request;

    private EarlyInit(PendingInit init, string stage2, int flags, LaunchRequest request)
    {
        _init = init;
        _stage2 = stage2;
        _flags = flags;
        _request = request;
    }

    /// <summary>Whether a launch took it.</summary>
    public bool Adopted { get; private set; }

    /// <summary>
    /// Starts stage two for a launch of <paramref name="profile"/> with <paramref name="request"/>'s terminal and
    /// stdio (its command does not matter yet), or returns null when that launch cannot use one started now. Never
    /// throws: a failed early start only means the launch starts its own.
    /// </summary>
    /// <param name="stage2">stage two's path; default <see cref="LauncherPaths.Stage2Path"/>.</param>
    public static EarlyInit? TryStart(Profile profile, LaunchRequest request, string? stage2 = null)
    {
        if (profile.Network.Mode == "bridge" || Host.EffectiveUid != 0) return null;
        try
        {
            stage2 ??= LauncherPaths.Stage2Path();
            int flags = LaunchPlanner.NamespaceFlags(profile, joinsPreparedNetns: false);
            var init = PendingInit.Start(stage2, flags, request, Launcher.EnvironmentList(), before: null);
            return new EarlyInit(init, stage2, flags, request);
        }
        catch (Exception e) when (e is SyscallException or IOException)
        {
            return null;
        }
    }

    /// <summary>Stage two's pid, once spawned; for tests.</summary>
    internal int Spawned() => _init?.Spawned() ?? -1;

    /// <summary>The pending stage two, if it was started for what this launch needs; the caller owns it then.</summary>
    internal PendingInit? Adopt(string stage2, int flags, LaunchRequest request)
    {
        if (_init is null || stage2 != _stage2 || flags != _flags || request.Tty != _request.Tty || request.Stdio != _request.Stdio) return null;
        var init = _init;
        _init = null;
        Adopted = true;
        return init;
    }

    /// <summary>Kills and reaps stage two unless a launch adopted it.</summary>
    public void Dispose()
    {
        var init = Interlocked.Exchange(ref _init, null);
        if (init is null) return;
        init.Abort();
        init.Dispose();
    }
}
