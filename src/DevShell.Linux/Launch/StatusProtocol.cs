// Compiled into both DevShell.Linux and DevShell.Stage2.
namespace DevShell.Linux.Launch;

/// <summary>
/// Lines the second stage writes on its status pipe (fd 3), each shorter than PIPE_BUF so writes are atomic:
/// <c>ready</c> (environment built, shell spawned), <c>error STEP ERRNO MESSAGE</c> (a step failed before the shell ran),
/// <c>hook NAME CODE</c> (a hook finished non-zero), <c>exit CODE</c> or <c>signal N</c> (the main process ended).
/// End of file before <c>ready</c> means stage two died.
/// </summary>
public static class StatusProtocol
{
    public const int StatusFd = 3;
    public const int SpecFd = 4;

    /// <summary>Stages started before pivot_root (rootfs mode) wait for one byte on this fd before they go on.</summary>
    public const int GoFd = 5;

    /// <summary>attach: the stage-two binary itself, so nsenter can exec it as /proc/self/fd/6 inside the env.</summary>
    public const int Stage2Fd = 6;

    public const string Ready = "ready";
    public const string Error = "error";
    public const string Hook = "hook";
    public const string Exit = "exit";
    public const string Signal = "signal";

    /// <summary>Exit code stage two uses when it fails before the shell runs.</summary>
    public const int SetupFailedExitCode = 125;

    /// <summary>Exit code when the shell or command could not be executed (as sh does).</summary>
    public const int ExecFailedExitCode = 127;
}
