using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using DevShell.Linux.Interop;

namespace DevShell.Linux.Net.Nft;

/// <summary>How <see cref="NftRunner"/> talks to nftables.</summary>
public enum NftBackend
{
    /// <summary>libnftables.so.1 in-process: about 1 ms per batch, no process spawned.</summary>
    Library,

    /// <summary>Spawning the nft binary: 10-130 ms per call on a small VM.</summary>
    Process,
}

/// <summary>
/// Runs nft commands: in-process through libnftables when it loads (the library the nft binary is a front end
/// of), else by spawning nft. Both give the same output and the same <see cref="NftException"/> text.
/// Thread-safe: library calls are serialized (a libnftables context is not thread-safe).
/// </summary>
public sealed class NftRunner
{
    /// <summary>Name under which nft's error messages cite the batch ("batch:3:19-25: Error: ...").</summary>
    public const string BatchLabel = "batch";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private static readonly string[] WellKnownPaths = ["/usr/sbin/nft", "/sbin/nft"];
    private static readonly Lock LibraryGate = new();

    /// <summary>
    /// With no <paramref name="nftPath"/>: libnftables if it loads, else the nft binary (/usr/sbin/nft, /sbin/nft,
    /// else "nft" on PATH). With <paramref name="nftPath"/>: that binary, spawned. The environment variable
    /// <c>DEVSHELL_NFT=process</c> forces the binary (an escape hatch should the library misbehave on a host).
    /// </summary>
    public NftRunner(string? nftPath = null)
        : this(DefaultBackend(nftPath), nftPath)
    {
    }

    /// <summary>
    /// A runner with a chosen backend. <see cref="NftBackend.Library"/> throws <see cref="NftException"/> if
    /// libnftables.so.1 cannot be loaded. <paramref name="nftPath"/> is the binary for
    /// <see cref="NftBackend.Process"/> (and for argument lists the library path does not handle).
    /// </summary>
    public NftRunner(NftBackend backend, string? nftPath = null)
    {
        if (backend == NftBackend.Library && !LibNftables.TryLoad(out string problem))
        {
            throw new NftException($"using libnftables in-process: {problem}");
        }

        Backend = backend;
        NftPath = nftPath ?? WellKnownPaths.FirstOrDefault(File.Exists) ?? "nft";
    }

    /// <summary>The backend in use for <see cref="Apply"/>, <see cref="Json"/> and <see cref="Run"/>.</summary>
    public NftBackend Backend { get; }

    /// <summary>The nft binary used by <see cref="NftBackend.Process"/>.</summary>
    public string NftPath { get; }

    /// <summary>
    /// True if libnftables.so.1 can be used in this process; otherwise <paramref name="problem"/> says why.
    /// </summary>
    public static bool LibraryAvailable(out string problem) => LibNftables.TryLoad(out problem);

    private static NftBackend DefaultBackend(string? nftPath) =>
        nftPath is null
        && !string.Equals(Environment.GetEnvironmentVariable("DEVSHELL_NFT"), "process", StringComparison.OrdinalIgnoreCase)
        && LibNftables.TryLoad(out _)
            ? NftBackend.Library
            : NftBackend.Process;

    /// <summary>Applies <paramref name="batch"/> atomically (as <c>nft -f -</c>): all of it or none.</summary>
    public void Apply(string batch, string what) => Run(["-f", "-"], batch, what);

    /// <summary>Runs <c>nft -j &lt;args&gt;</c> and returns its JSON output.</summary>
    public string Json(string what, params string[] args) => Run(["-j", .. args], null, what);

    /// <summary>
    /// Runs nft with command-line <paramref name="args"/> (and <paramref name="stdin"/> for <c>-f -</c>); returns
    /// its standard output. Throws <see cref="NftException"/> with nft's message if it fails. The library backend
    /// understands -j, -c, -a, -e, -s, -t, -f FILE and -f - ; other options are handed to the nft binary.
    /// </summary>
    public string Run(IReadOnlyList<string> args, string? stdin, string what)
    {
        if (Backend == NftBackend.Library && LibraryCommand.TryParse(args, stdin) is LibraryCommand command)
        {
            return RunInProcess(command, what);
        }

        return Spawn(args, stdin, what);
    }

    private static string RunInProcess(LibraryCommand command, string what)
    {
        // nft_ctx_new exits the process if it cannot open its netlink socket: check first (microseconds).
        if (!LibNftables.CanOpenNetfilterSocket(out int errno))
        {
            throw new NftException(
                $"{what}: cannot open a netlink socket to nftables: {Marshal.GetPInvokeErrorMessage(errno)} ({Errno.Name(errno)}); " +
                "the kernel needs nf_tables (modprobe nf_tables)");
        }

        lock (LibraryGate)
        {
            // One context per call: cheap (~0.1 ms), and its netlink socket is then in the calling thread's network
            // namespace, as a spawned nft's would be.
            nint ctx = LibNftables.nft_ctx_new(LibNftables.NFT_CTX_DEFAULT);
            if (ctx == 0)
            {
                throw new NftException($"{what}: libnftables could not create a context (out of memory?)");
            }

            try
            {
                if (LibNftables.nft_ctx_buffer_output(ctx) != 0 || LibNftables.nft_ctx_buffer_error(ctx) != 0)
                {
                    throw new NftException($"{what}: libnftables could not buffer its output (out of memory?)");
                }

                LibNftables.nft_ctx_output_set_flags(ctx, command.OutputFlags);
                LibNftables.nft_ctx_set_dry_run(ctx, command.DryRun);
                string? fileName = null;
                int rc = command.Batch is not null && Directory.Exists("/proc/self/fd")
                    ? LibNftables.RunBatch(ctx, command.Batch, out fileName)
                    : command.File is not null
                        ? LibNftables.nft_run_cmd_from_filename(ctx, command.File)
                        : LibNftables.nft_run_cmd_from_buffer(ctx, command.Batch ?? command.Text);
                string output = LibNftables.OutputText(ctx);
                string error = LibNftables.ErrorText(ctx);
                if (rc != 0)
                {
                    error = Relabel(error, fileName);
                    throw new NftException($"{what}: nft failed: {(error.Length == 0 ? "(no message)" : error)}")
                    {
                        NftOutput = error,
                    };
                }

                return output;
            }
            finally
            {
                LibNftables.nft_ctx_free(ctx);
            }
        }
    }

    private string Spawn(IReadOnlyList<string> args, string? stdin, string what)
    {
        var psi = new ProcessStartInfo(NftPath)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new NftException($"{what}: could not start {NftPath}");
        }
        catch (Win32Exception e)
        {
            throw new NftException(
                $"{what}: cannot run {NftPath} ({e.Message}); install nftables (e.g. apt-get install nftables)", e);
        }

        using (process)
        {
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
                process.StandardInput.Close();
            }

            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill();
                throw new NftException($"{what}: {NftPath} did not finish within {Timeout.TotalSeconds} s");
            }

            process.WaitForExit();
            string error = Relabel(stderr.GetAwaiter().GetResult(), stdin is null ? null : "/dev/stdin");
            if (process.ExitCode != 0)
            {
                throw new NftException($"{what}: nft failed (exit {process.ExitCode}): {error}") { NftOutput = error };
            }

            return stdout.GetAwaiter().GetResult();
        }
    }

    /// <summary>nft's error text, trimmed, citing the batch as "batch:LINE:COLS:" whatever file it was read from.</summary>
    private static string Relabel(string error, string? fileName)
    {
        error = error.Trim();
        return fileName is null ? error : error.Replace(fileName + ":", BatchLabel + ":", StringComparison.Ordinal);
    }

    /// <summary>An nft command line translated for libnftables, or null when it has options only nft handles.</summary>
    private sealed record LibraryCommand(uint OutputFlags, bool DryRun, string? Batch, string? File, string Text)
    {
        public static LibraryCommand? TryParse(IReadOnlyList<string> args, string? stdin)
        {
            uint flags = 0;
            bool dryRun = false;
            string? batch = null, file = null;
            var words = new List<string>();
            for (int i = 0; i < args.Count; i++)
            {
                string a = args[i];
                if (words.Count > 0 || !a.StartsWith('-'))
                {
                    words.Add(a); // like nft: options first, then the command words joined by spaces
                    continue;
                }

                switch (a)
                {
                    case "-j" or "--json":
                        flags |= LibNftables.NFT_CTX_OUTPUT_JSON;
                        break;
                    case "-a" or "--handle":
                        flags |= LibNftables.NFT_CTX_OUTPUT_HANDLE;
                        break;
                    case "-e" or "--echo":
                        flags |= LibNftables.NFT_CTX_OUTPUT_ECHO;
                        break;
                    case "-s" or "--stateless":
                        flags |= LibNftables.NFT_CTX_OUTPUT_STATELESS;
                        break;
                    case "-t" or "--terse":
                        flags |= LibNftables.NFT_CTX_OUTPUT_TERSE;
                        break;
                    case "-c" or "--check":
                        dryRun = true;
                        break;
                    case "-f" or "--file" when i + 1 < args.Count:
                        string source = args[++i];
                        if (source == "-")
                        {
                            batch = stdin ?? "";
                        }
                        else
                        {
                            file = source;
                        }

                        break;
                    default:
                        return null;
                }
            }

            bool fromFile = batch is not null || file is not null;
            if (fromFile == (words.Count > 0))
            {
                return null; // both or neither: let nft report it
            }

            return new LibraryCommand(flags, dryRun, batch, file, string.Join(' ', words));
        }
    }
}
