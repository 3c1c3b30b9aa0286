using System.Runtime.InteropServices;

namespace DevShell.Linux.Interop;

/// <summary>
/// libnftables, the library behind the nft command (Debian package libnftables1, a dependency of nftables). Calling
/// it in-process saves the ~10-130 ms an <c>nft</c> spawn costs. A context (<c>struct nft_ctx</c>) is not
/// thread-safe, and its netlink socket belongs to the network namespace of the thread that created it.
/// </summary>
internal static partial class LibNftables
{
    internal const string Lib = "libnftables.so.1";

    private static readonly string[] Exports =
    [
        "nft_ctx_new", "nft_ctx_free", "nft_ctx_output_set_flags", "nft_ctx_set_dry_run",
        "nft_ctx_buffer_output", "nft_ctx_buffer_error", "nft_ctx_get_output_buffer", "nft_ctx_get_error_buffer",
        "nft_run_cmd_from_buffer", "nft_run_cmd_from_filename",
    ];

    private static readonly Lazy<string?> LoadProblem = new(FindLoadProblem);

    /// <summary>
    /// True if libnftables.so.1 loads and has every function used here; otherwise <paramref name="problem"/> says
    /// why (the caller falls back to spawning nft). Checked once per process.
    /// </summary>
    internal static bool TryLoad(out string problem)
    {
        problem = LoadProblem.Value ?? "";
        return LoadProblem.Value is null;
    }

    private static string? FindLoadProblem()
    {
        if (!NativeLibrary.TryLoad(Lib, typeof(LibNftables).Assembly, null, out nint handle))
        {
            return $"{Lib} cannot be loaded (install it: apt-get install libnftables1)";
        }

        // The handle stays loaded for the process's life: the LibraryImports below resolve against it.
        string[] missing = Exports.Where(name => !NativeLibrary.TryGetExport(handle, name, out _)).ToArray();
        return missing.Length == 0 ? null : $"{Lib} lacks {string.Join(", ", missing)} (too old; nftables 0.9.3 or later has them)";
    }
}
