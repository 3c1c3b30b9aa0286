using DevShell.Linux.Launch;
using DevShell.Stage2.Interop;

namespace DevShell.Stage2;

/// <summary>Attach's first step: join the env's cgroups on the host side, then exec nsenter (which runs payload).</summary>
internal static unsafe class Join
{
    public static int Run(LaunchSpec spec, string[] command)
    {
        foreach (var dir in spec.CgroupDirs) Sys.WriteFile(dir + "/cgroup.procs", "0", "cgroup");
        var env = new List<string>();
        foreach (System.Collections.DictionaryEntry kv in Environment.GetEnvironmentVariables())
        {
            env.Add($"{kv.Key}={kv.Value}");
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
}
