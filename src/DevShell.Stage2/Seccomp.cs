using System.Runtime.InteropServices;
using DevShell.Stage2.Interop;

namespace DevShell.Stage2;

/// <summary>
/// The default seccomp filter, modelled on what Docker and podman block by default: kernel-wide and
/// namespace-escaping calls fail with EPERM; terminal injection (TIOCSTI, TIOCLINUX) fails with EPERM; clone with
/// namespace flags fails; clone3 reports ENOSYS so libc falls back to clone, whose flags we can inspect; x32 calls
/// fail. A foreign architecture kills the process. ptrace stays allowed (developers debug; the PID namespace and
/// dropped capabilities already keep every outside process out of reach).
/// </summary>
internal static unsafe class Seccomp
{
    private const uint AUDIT_ARCH_X86_64 = 0xC000003E;
    private const uint RET_ALLOW = 0x7fff0000, RET_ERRNO = 0x00050000, RET_KILL_PROCESS = 0x80000000;
    private const ushort LD_W_ABS = 0x20, JEQ_K = 0x15, JGE_K = 0x35, JSET_K = 0x45, RET_K = 0x06;
    private const uint EPERM = 1, ENOSYS = 38;
    private const uint TIOCSTI = 0x5412, TIOCLINUX = 0x541C;

    // seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6];
    private const uint OffNr = 0, OffArch = 4, OffArg0Low = 16, OffArg1Low = 24;

    private const uint NamespaceFlags = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

    /// <summary>x86_64 numbers of calls that fail with EPERM.</summary>
    internal static readonly (string Name, uint Nr)[] DeniedX64 =
    [
        ("mount", 165), ("umount2", 166), ("pivot_root", 155), ("swapon", 167), ("swapoff", 168), ("reboot", 169),
        ("sethostname", 170), ("setdomainname", 171), ("iopl", 172), ("ioperm", 173), ("create_module", 174),
        ("init_module", 175), ("delete_module", 176), ("get_kernel_syms", 177), ("query_module", 178),
        ("quotactl", 179), ("nfsservctl", 180), ("acct", 163), ("settimeofday", 164), ("syslog", 103),
        ("unshare", 272), ("setns", 308), ("kexec_load", 246), ("kexec_file_load", 320), ("finit_module", 313),
        ("bpf", 321), ("perf_event_open", 298), ("keyctl", 250), ("add_key", 248), ("request_key", 249),
        ("open_by_handle_at", 304), ("name_to_handle_at", 303), ("userfaultfd", 323), ("lookup_dcookie", 212),
        ("clock_settime", 227), ("adjtimex", 159), ("clock_adjtime", 305), ("vhangup", 153), ("uselib", 134),
        ("ustat", 136), ("sysfs", 139), ("_sysctl", 156), ("open_tree", 428), ("move_mount", 429), ("fsopen", 430),
        ("fsconfig", 431), ("fsmount", 432), ("fspick", 433), ("mount_setattr", 442), ("process_vm_writev", 311),
        ("kcmp", 312), ("fanotify_init", 300), ("pidfd_getfd", 438), ("io_uring_setup", 425),
        ("io_uring_enter", 426), ("io_uring_register", 427),
    ];

    private const uint NrIoctlX64 = 16, NrCloneX64 = 56, NrClone3X64 = 435;

    internal static void Install()
    {
        if (Sys.IsArm64 || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new StageException("seccomp", 95,
                $"the default seccomp filter is only defined for x86_64, not {RuntimeInformation.ProcessArchitecture}; set security.seccomp to false in the profile to run without it");
        }

        var prog = Build();
        fixed (ulong* filter = prog)
        {
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            byte* fprog = stackalloc byte[16];
            *(ushort*)fprog = (ushort)prog.Length;
            *(ulong**)(fprog + 8) = filter;
            if (Libc.prctl(K.PR_SET_SECCOMP, K.SECCOMP_MODE_FILTER, (nuint)fprog, 0, 0) < 0)
            {
                Sys.Fail("seccomp", Libc.Errno, "installing the seccomp filter");
            }
        }
    }

    /// <summary>The BPF program, one sock_filter (u16 code, u8 jt, u8 jf, u32 k) per ulong.</summary>
    internal static ulong[] Build()
    {
        var p = new List<ulong>();
        p.Add(Ins(LD_W_ABS, 0, 0, OffArch));
        p.Add(Ins(JEQ_K, 1, 0, AUDIT_ARCH_X86_64));
        p.Add(Ins(RET_K, 0, 0, RET_KILL_PROCESS));
        p.Add(Ins(LD_W_ABS, 0, 0, OffNr));
        p.Add(Ins(JGE_K, 0, 1, 0x40000000)); // x32 ABI
        p.Add(Ins(RET_K, 0, 0, RET_ERRNO | EPERM));
        foreach (var (_, nr) in DeniedX64)
        {
            p.Add(Ins(JEQ_K, 0, 1, nr));
            p.Add(Ins(RET_K, 0, 0, RET_ERRNO | EPERM));
        }
        p.Add(Ins(JEQ_K, 0, 1, NrClone3X64));
        p.Add(Ins(RET_K, 0, 0, RET_ERRNO | ENOSYS));
        // clone: refuse namespace flags.
        p.Add(Ins(JEQ_K, 0, 4, NrCloneX64));
        p.Add(Ins(LD_W_ABS, 0, 0, OffArg0Low));
        p.Add(Ins(JSET_K, 0, 1, NamespaceFlags));
        p.Add(Ins(RET_K, 0, 0, RET_ERRNO | EPERM));
        p.Add(Ins(RET_K, 0, 0, RET_ALLOW));
        // ioctl: refuse terminal injection.
        p.Add(Ins(JEQ_K, 0, 4, NrIoctlX64));
        p.Add(Ins(LD_W_ABS, 0, 0, OffArg1Low));
        p.Add(Ins(JEQ_K, 1, 0, TIOCSTI));
        p.Add(Ins(JEQ_K, 0, 1, TIOCLINUX));
        p.Add(Ins(RET_K, 0, 0, RET_ERRNO | EPERM));
        p.Add(Ins(RET_K, 0, 0, RET_ALLOW));
        return [.. p];
    }

    private static ulong Ins(ushort code, byte jt, byte jf, uint k) =>
        code | ((ulong)jt << 16) | ((ulong)jf << 24) | ((ulong)k << 32);
}
