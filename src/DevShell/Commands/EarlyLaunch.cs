using DevShell.Core.Profiles;
using DevShell.Core.Storage;
using DevShell.Linux.Interop;
using DevShell.Linux.Launch;

namespace DevShell.Commands;

/// <summary>
/// `devshell run P ...` and `devshell shell P`: stage two for P is started first thing in Main, from P's copy, before
/// System.CommandLine parses the arguments and the engine is built (~3 ms of every launch here; see
/// <see cref="EarlyInit"/>). The command's own parse decides what runs: <see cref="Take"/> hands the early stage two
/// only to a launch of the same profile, and the launch checks it still fits; whatever is not taken is killed and
/// reaped by <see cref="End"/> when Main returns. A launch that cannot use one (no copy, a bridged env, not root,
/// options before the profile) simply starts its own, as before. The copy read here is handed to the launch too, which
/// then does not read it again.
/// </summary>
internal static class EarlyLaunch
{
    private static EarlyInit? s_init;
    private static string? s_profile;
    private static Profile? s_copy;

    /// <summary>Starts stage two when <paramref name="args"/> launch a profile (verb first, profile second). Never throws.</summary>
    public static void Begin(string[] args)
    {
        if (args.Length < 2 || args[0] is not ("run" or "shell") || Cli.NeedsFullTree(args) || Host.EffectiveUid != 0) return;
        string name = args[1];
        try
        {
            string db = Path.GetFullPath(StorePaths.ResolveDbPath(StorePaths.CurrentEnvironment(), runningAsRoot: true));
            // As Engine.LaunchProfile: copies next to a deleted database stand for nothing.
            if (!File.Exists(db) || new ProfileSnapshots(db).TryRead(name) is not { } profile) return;
            s_profile = name;
            s_copy = profile;
            // The request's terminal and stdio as Run and Shell make it (its command does not matter to stage two yet).
            s_init = EarlyInit.TryStart(profile, new LaunchRequest { Tty = args[0] == "shell" && PtyRelay.StdinIsTerminal });
        }
        catch (StoreException)
        {
            // The launch itself reports what is wrong with the store's location.
        }
    }

    /// <summary>
    /// The early stage two if it was started for <paramref name="profileName"/> (the caller disposes it), and the copy of
    /// that profile read for it (for Engine.LaunchProfile), or nulls.
    /// </summary>
    public static EarlyInit? Take(string profileName, out Profile? copy)
    {
        copy = null;
        if (s_profile != profileName) return null;
        copy = s_copy;
        var init = s_init;
        s_init = null;
        return init;
    }

    /// <summary>Kills and reaps an early stage two no launch took.</summary>
    public static void End()
    {
        s_init?.Dispose();
        s_init = null;
    }
}
