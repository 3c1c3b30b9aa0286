using DevShell.Linux.Launch;
using DevShell.Stage2.Interop;

namespace DevShell.Stage2;

/// <summary>
/// The second stage. The front spawns <c>unshare --uts --ipc --mount --pid --fork --kill-child --mount-proc
/// devshell-stage2 init</c> with the launch spec on fd 4 and the status pipe on fd 3.
/// <list type="bullet">
/// <item><c>init</c> runs as PID 1 of the env, as root: joins the cgroup and network namespace, builds the mounts,
/// sets the hostname, starts the shell, reaps every orphan, and reports the shell's exit. Without a user namespace
/// or rootfs it does the payload's steps itself on a thread of its own and posix_spawns the shell
/// (<see cref="DirectStart"/>); otherwise it spawns <c>payload</c>.</item>
/// <item><c>payload</c> becomes the shell: own session and controlling terminal, the developer's uid/gids, no
/// capabilities, no_new_privs, the seccomp filter, on_enter hook, then execve. <c>devshell attach</c> runs it
/// through nsenter to join a running env.</item>
/// <item><c>hook</c> is <c>payload</c> running the on_exit hook instead of the shell.</item>
/// <item><c>join CMD...</c> joins the env's cgroups from the host side, then execs CMD (nsenter, for attach):
/// inside the env cgroupfs is hidden, so the join must come first.</item>
/// </list>
/// Stage two never forks: it uses posix_spawn, since the NativeAOT runtime has threads too.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        Timing.Mark("main");
        string mode = args.Length > 0 ? args[0] : "";
        int status = StatusProtocol.StatusFd;
        try
        {
            var text = Sys.ReadAllFromFd(StatusProtocol.SpecFd);
            Timing.Mark("read");
            var spec = LaunchSpec.Parse(text);
            Timing.Mark("spec");
            if (mode is "payload" or "hook" && !Sys.AwaitGo())
            {
                return 0; // started early for a rootfs and never released: the env ended before we were needed
            }
            return mode switch
            {
                "init" => ExitNow(Init.Run(spec)),
                "payload" => Payload.Run(spec, hook: null),
                "join" when args.Length > 1 => Join.Run(spec, args[1..]),
                "hook" when args.Length > 1 => Payload.Run(spec, hook: args[1]),
                _ => Usage(),
            };
        }
        catch (StageException e)
        {
            Report(status, e.Step, e.Errno, e.Message);
            return e.Step == "exec" ? StatusProtocol.ExecFailedExitCode : StatusProtocol.SetupFailedExitCode;
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            Report(status, "spec", 22, e.Message);
            return StatusProtocol.SetupFailedExitCode;
        }
    }

    /// <summary>
    /// PID 1 ends with _exit once its last status line is written: the front waits for PID 1's exit before it tears
    /// the env down, and returning from Main first runs the runtime's shutdown and the atexit handlers. Stage two
    /// buffers nothing (every line is one write(2)), so there is nothing for them to flush.
    /// </summary>
    private static int ExitNow(int code)
    {
        Timing.Mark("exit");
        Timing.Flush();
        Libc._exit(code);
        return code; // not reached
    }

    internal static void Report(int statusFd, string step, int errno, string message)
    {
        string line = $"{StatusProtocol.Error} {step} {errno} {message.Replace('\n', ' ')}";
        Sys.TryWriteLine(statusFd, line);
        Sys.TryWriteLine(2, $"devshell: {message}");
    }

    private static int Usage()
    {
        Sys.TryWriteLine(2, "devshell-stage2 is started by devshell; it is not meant to be run by hand.");
        return 2;
    }
}
