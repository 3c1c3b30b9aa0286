using System.Runtime.InteropServices;

namespace DevShell.Linux.Interop;

/// <summary>libnftables output and error buffers (instead of the process's stdout and stderr).</summary>
internal static partial class LibNftables
{
    /// <summary>int nft_ctx_buffer_output(ctx): 0 on success.</summary>
    [LibraryImport(Lib)]
    internal static partial int nft_ctx_buffer_output(nint ctx);

    /// <summary>int nft_ctx_buffer_error(ctx): 0 on success.</summary>
    [LibraryImport(Lib)]
    internal static partial int nft_ctx_buffer_error(nint ctx);

    /// <summary>const char *: owned by the context, valid until the next call on it; reading it rewinds the buffer.</summary>
    [LibraryImport(Lib)]
    internal static partial nint nft_ctx_get_output_buffer(nint ctx);

    /// <summary>const char *: owned by the context, valid until the next call on it; reading it rewinds the buffer.</summary>
    [LibraryImport(Lib)]
    internal static partial nint nft_ctx_get_error_buffer(nint ctx);

    /// <summary>The output buffer's text so far ("" if none).</summary>
    internal static string OutputText(nint ctx) => Marshal.PtrToStringUTF8(nft_ctx_get_output_buffer(ctx)) ?? "";

    /// <summary>The error buffer's text so far ("" if none).</summary>
    internal static string ErrorText(nint ctx) => Marshal.PtrToStringUTF8(nft_ctx_get_error_buffer(ctx)) ?? "";
}
