using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace DevShell.Linux.Interop;

internal static partial class Sys
{
    /// <summary>mount(2) without data; null strings are passed as NULL. Retries EINTR. Returns 0 or the errno.</summary>
    internal static unsafe int TryMount(string? source, string target, string? fstype, ulong flags)
    {
        Span<byte> target8 = PathBuffer.Encode(target, stackalloc byte[PathBuffer.StackLimit]);
        byte[]? source8 = source is null ? null : PathBuffer.Encode(source, []).ToArray();
        byte[]? fstype8 = fstype is null ? null : PathBuffer.Encode(fstype, []).ToArray();
        fixed (byte* t = target8)
        fixed (byte* s = source8)
        fixed (byte* f = fstype8)
        {
            while (true)
            {
                if (mount(s, t, f, (ulong_t)flags, null) == 0)
                {
                    return 0;
                }

                int e = LibC.errno;
                if (e != Errno.EINTR)
                {
                    return e;
                }
            }
        }
    }
}
