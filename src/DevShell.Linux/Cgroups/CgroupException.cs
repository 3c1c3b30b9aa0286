namespace DevShell.Linux.Cgroups;

/// <summary>
/// A cgroup problem that is not a failed syscall: a missing controller, a name already taken, a host without
/// cgroups. The message names the group, the problem and the fix.
/// </summary>
public sealed class CgroupException : Exception
{
    public CgroupException()
    {
    }

    public CgroupException(string message) : base(message)
    {
    }

    public CgroupException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
