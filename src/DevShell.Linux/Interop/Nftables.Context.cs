using System.Runtime.InteropServices;

namespace DevShell.Linux.Interop;

/// <summary>libnftables contexts: create, free, output flags, dry run.</summary>
internal static partial class LibNftables
{
    /// <summary>nft_ctx_new flag: the normal context (opens its netlink socket).</summary>
    internal const uint NFT_CTX_DEFAULT = 0;

    /// <summary>nft_ctx_output_set_flags: JSON output, as <c>nft -j</c>.</summary>
    internal const uint NFT_CTX_OUTPUT_HANDLE = 1 << 3, NFT_CTX_OUTPUT_JSON = 1 << 4, NFT_CTX_OUTPUT_ECHO = 1 << 5,
        NFT_CTX_OUTPUT_STATELESS = 1 << 2, NFT_CTX_OUTPUT_TERSE = 1 << 11;

    /// <summary>
    /// struct nft_ctx *nft_ctx_new(uint32_t flags). With NFT_CTX_DEFAULT it opens a NETLINK_NETFILTER socket and
    /// calls exit() if it cannot: probe with <see cref="CanOpenNetfilterSocket"/> first.
    /// </summary>
    [LibraryImport(Lib)]
    internal static partial nint nft_ctx_new(uint flags);

    [LibraryImport(Lib)]
    internal static partial void nft_ctx_free(nint ctx);

    [LibraryImport(Lib)]
    internal static partial void nft_ctx_output_set_flags(nint ctx, uint flags);

    [LibraryImport(Lib)]
    internal static partial void nft_ctx_set_dry_run(nint ctx, [MarshalAs(UnmanagedType.U1)] bool dry);

    /// <summary>
    /// True if a NETLINK_NETFILTER socket can be opened in the calling thread's network namespace, which
    /// nft_ctx_new needs (it exits the whole process when it cannot).
    /// </summary>
    internal static bool CanOpenNetfilterSocket(out int errno)
    {
        const int AF_NETLINK = 16, NETLINK_NETFILTER = 12;
        int fd = Sys.TrySocket(AF_NETLINK, Tmds.Linux.LibC.SOCK_RAW, NETLINK_NETFILTER, out errno);
        Sys.Close(fd);
        return fd >= 0;
    }
}
