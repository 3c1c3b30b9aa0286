using DevShell.Stage2.Interop;

namespace DevShell.Stage2;

/// <summary>Drops every capability (bounding, ambient, effective, permitted, inheritable) except those the profile keeps.</summary>
internal static unsafe class Capabilities
{
    internal static readonly string[] Names =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    internal static ulong MaskOf(IEnumerable<string> keep)
    {
        ulong mask = 0;
        foreach (var name in keep)
        {
            int i = Array.IndexOf(Names, name);
            if (i < 0) throw new StageException("caps", 22, $"unknown capability {name}");
            mask |= 1UL << i;
        }
        return mask;
    }

    /// <summary>The kernel's highest capability number (/proc/sys/kernel/cap_last_cap), read with one open and read.</summary>
    internal static int LastCap()
    {
        int fallback = Names.Length - 1;
        int fd;
        fixed (byte* path = "/proc/sys/kernel/cap_last_cap\0"u8)
        {
            fd = Libc.open(path, K.O_RDONLY | K.O_CLOEXEC, 0);
        }
        if (fd < 0) return fallback;
        byte* buf = stackalloc byte[16];
        nint n = Libc.read(fd, buf, 16);
        Libc.close(fd);
        int value = 0, digits = 0;
        for (int i = 0; i < n && buf[i] is >= (byte)'0' and <= (byte)'9'; i++, digits++) value = (value * 10) + (buf[i] - '0');
        return digits is > 0 and < 4 ? value : fallback;
    }

    /// <summary>Whether <paramref name="cap"/> is in this process's effective set.</summary>
    internal static bool HasEffective(int cap)
    {
        uint* header = stackalloc uint[2];
        header[0] = K.LINUX_CAPABILITY_VERSION_3;
        header[1] = 0;
        uint* data = stackalloc uint[6];
        if (Libc.syscall(Sys.NrCapget, (long)header, (long)data, 0, 0, 0) < 0) Sys.Fail("caps", Libc.Errno, "reading the capability sets");
        uint word = cap < 32 ? data[0] : data[3];
        return (word & (1u << (cap % 32))) != 0;
    }

    /// <summary>Step 1, while still root: empty the bounding set of everything not kept, clear ambient.</summary>
    internal static void DropBounding(ulong keep, int lastCap)
    {
        for (int cap = 0; cap <= lastCap; cap++)
        {
            if ((keep & (1UL << cap)) != 0) continue;
            if (Libc.prctl(K.PR_CAPBSET_DROP, (nuint)cap, 0, 0, 0) < 0 && Libc.Errno != 22)
            {
                Sys.Fail("caps", Libc.Errno, $"dropping capability {cap} from the bounding set");
            }
        }
        Sys.Check(Libc.prctl(K.PR_CAP_AMBIENT, K.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "caps", "clearing ambient capabilities");
        if (keep != 0) Sys.Check(Libc.prctl(K.PR_SET_KEEPCAPS, 1, 0, 0, 0), "caps", "keeping capabilities across setuid");
    }

    /// <summary>Step 2, after setresuid: set effective/permitted/inheritable to exactly the kept set, and raise them as ambient so exec keeps them.</summary>
    internal static void SetExactly(ulong keep)
    {
        // struct __user_cap_header_struct { u32 version; int pid; } + 2 x { u32 effective, permitted, inheritable }
        uint* header = stackalloc uint[2];
        header[0] = K.LINUX_CAPABILITY_VERSION_3;
        header[1] = 0;
        uint* data = stackalloc uint[6];
        uint lo = (uint)keep, hi = (uint)(keep >> 32);
        data[0] = lo; data[1] = lo; data[2] = lo;
        data[3] = hi; data[4] = hi; data[5] = hi;
        if (Libc.syscall(Sys.NrCapset, (long)header, (long)data, 0, 0, 0) < 0)
        {
            Sys.Fail("caps", Libc.Errno, "setting the capability sets");
        }
        for (int cap = 0; cap < 64; cap++)
        {
            if ((keep & (1UL << cap)) == 0) continue;
            Sys.Check(Libc.prctl(K.PR_CAP_AMBIENT, K.PR_CAP_AMBIENT_RAISE, (nuint)cap, 0, 0), "caps", $"raising ambient capability {Names[cap]}");
        }
    }
}
