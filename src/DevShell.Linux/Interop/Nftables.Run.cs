using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;

namespace DevShell.Linux.Interop;

/// <summary>Running nft commands in a libnftables context.</summary>
internal static partial class LibNftables
{
    /// <summary>int nft_run_cmd_from_buffer(ctx, const char *buf): 0 on success, -1 with the reason in the error buffer.</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nft_run_cmd_from_buffer(nint ctx, string buf);

    /// <summary>int nft_run_cmd_from_filename(ctx, const char *filename): 0 on success, -1 with the reason in the error buffer.</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nft_run_cmd_from_filename(nint ctx, string filename);

    /// <summary>
    /// Runs a multi-line batch (as <c>nft -f</c>) through an in-memory file (memfd), not a buffer: libnftables 1.0.x
    /// quotes the FIRST line of a buffer in its error messages whatever line failed, but re-reads the right line of
    /// a file. Returns libnftables' result (0 or -1) and the file name it saw, so error text can be relabelled.
    /// </summary>
    internal static unsafe int RunBatch(nint ctx, string batch, out string fileName)
    {
        int fd;
        fixed (byte* name = "nft-batch\0"u8)
        {
            fd = LibC.memfd_create(name, LibC.MFD_CLOEXEC);
        }

        if (fd < 0)
        {
            throw new SyscallException("memfd_create", LibC.errno, "creating an in-memory file for an nft batch");
        }

        try
        {
            byte[] bytes = Encoding.UTF8.GetBytes(batch);
            fixed (byte* p = bytes)
            {
                for (int done = 0; done < bytes.Length;)
                {
                    int n = Check.Write(fd, p + done, bytes.Length - done);
                    if (n < 0)
                    {
                        throw SyscallException.FromLastError("write", "writing an nft batch to an in-memory file");
                    }

                    done += n;
                }
            }

            // libnftables opens the name itself (and again to quote a failing line): a new description, offset 0.
            fileName = "/proc/self/fd/" + fd.ToString(CultureInfo.InvariantCulture);
            return nft_run_cmd_from_filename(ctx, fileName);
        }
        finally
        {
            Sys.Close(fd);
        }
    }
}
