namespace DevShell.Linux.Interop;

/// <summary>Facts about the calling process the front needs (who it runs as).</summary>
public static class Host
{
    public static int EffectiveUid => (int)Libc.geteuid();
    public static int RealUid => (int)Libc.getuid();
    public static int RealGid => (int)Libc.getgid();

    /// <summary>chown(2); throws <see cref="SyscallException"/> on failure.</summary>
    public static unsafe void Chown(string path, int uid, int gid)
    {
        fixed (byte* p = Check.Z(path))
        {
            Check.Ok(Libc.chown(p, (uint)uid, (uint)gid), "chown", $"giving {path} to uid {uid}");
        }
    }

    /// <summary>Replaces this process with <paramref name="path"/> (same environment); throws if it cannot.</summary>
    public static void Exec(string path, IReadOnlyList<string> argv)
    {
        int errno = Sys.Execve(path, argv);
        throw new SyscallException("execve", errno, $"starting {path}");
    }
}
