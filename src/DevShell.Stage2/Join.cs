using DevShell.Linux.Launch;
using DevShell.Stage2.Interop;

namespace DevShell.Stage2;

/// <summary>Attach's first step: join the env's cgroups on the host side, then exec nsenter (which runs payload).</summary>
internal static unsafe class Join
{
    public static int Run(LaunchSpec spec, string[] command)
    {
        foreach (var dir in spec.CgroupDirs) Sys.WriteFile(dir + "/cgroup.procs", "0", "cgroup");
        if (spec.UserNamespace) command = EnterAsDeveloper(spec, command);
        var env = new List<string>();
        foreach (System.Collections.DictionaryEntry kv in Environment.GetEnvironmentVariables())
        {
            env.Add((string)kv.Key + "=" + (string?)kv.Value);
        }
        Libc.signal(K.SIGPIPE, 0);
        using var a = new Sys.CStringArray(command);
        using var e = new Sys.CStringArray(env);
        fixed (byte* p = Sys.Z(command[0]))
        {
            Libc.execve(p, a.Pointer, e.Pointer);
        }
        Sys.Fail("exec", Libc.Errno, $"running {command[0]}");
        return StatusProtocol.ExecFailedExitCode;
    }

    /// <summary>
    /// Attach into an env with a user namespace, where root is unmapped: whatever enters it loses its capabilities at
    /// the next exec, so the developer's identity must be in place by then. Still host root here, take the developer's
    /// groups and gid (nsenter keeps them with --preserve-credentials), and have nsenter switch to the uid (--setuid)
    /// after it has entered the namespace, while it still holds the namespace's capabilities.
    /// </summary>
    private static string[] EnterAsDeveloper(LaunchSpec spec, string[] command)
    {
        Sys.SetIdentity(spec.Groups.Count > 0 ? spec.Groups : [spec.Gid], spec.Gid, uid: null); // as the payload's own drop does
        var argv = new List<string>(command.Length + 1) { command[0], "--setuid=" + Sys.Invariant(spec.Uid) };
        argv.AddRange(command[1..]);
        return [.. argv];
    }
}
