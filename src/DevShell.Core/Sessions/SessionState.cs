namespace DevShell.Core.Sessions;

/// <summary>Lifecycle of a session; stored by name.</summary>
public enum SessionState
{
    /// <summary>Being set up (namespaces, cgroups, network); not yet running the shell.</summary>
    Starting,

    /// <summary>The shell or command is running.</summary>
    Running,

    /// <summary>Ended on its own; see <see cref="SessionRecord.ExitCode"/> and <see cref="SessionRecord.Signal"/>.</summary>
    Exited,

    /// <summary>Could not be set up or died abnormally.</summary>
    Failed,

    /// <summary>Stopped by the user (devshell stop) or by garbage collection.</summary>
    Stopped,
}
