using System.Text;

namespace DevShell.Linux.Interop;

/// <summary>
/// Helper for the <c>Sys.*</c> wrappers: a path as a NUL-terminated UTF-8 buffer for the libc calls of Tmds.LibC,
/// which take <c>byte*</c>. Short paths go on the stack, long ones in an array.
/// </summary>
internal static class PathBuffer
{
    internal const int StackLimit = 512;

    /// <summary>Encodes <paramref name="path"/> into <paramref name="stack"/> if it fits, else a new array.</summary>
    internal static Span<byte> Encode(string path, Span<byte> stack)
    {
        int max = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        Span<byte> buffer = max <= stack.Length ? stack : new byte[max];
        int n = Encoding.UTF8.GetBytes(path, buffer);
        buffer[n] = 0;
        return buffer[..(n + 1)];
    }
}
