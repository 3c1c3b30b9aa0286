using System.ComponentModel;
using System.Diagnostics;

namespace DevShell.Linux.Net.Nft;

/// <summary>Runs the nft binary (libnftables' command-line front end). One spawn per call.</summary>
public sealed class NftRunner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private static readonly string[] WellKnownPaths = ["/usr/sbin/nft", "/sbin/nft"];

    /// <param name="nftPath">The nft executable; default: /usr/sbin/nft or /sbin/nft, else "nft" on PATH.</param>
    public NftRunner(string? nftPath = null)
    {
        NftPath = nftPath ?? WellKnownPaths.FirstOrDefault(File.Exists) ?? "nft";
    }

    public string NftPath { get; }

    /// <summary>Applies <paramref name="batch"/> atomically with <c>nft -f -</c>: all of it or none.</summary>
    public void Apply(string batch, string what) => Run(["-f", "-"], batch, what);

    /// <summary>Runs <c>nft -j &lt;args&gt;</c> and returns its JSON output.</summary>
    public string Json(string what, params string[] args) => Run(["-j", .. args], null, what);

    /// <summary>Runs nft; throws <see cref="NftException"/> with nft's message if it fails.</summary>
    public string Run(IReadOnlyList<string> args, string? stdin, string what)
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
            string error = stderr.GetAwaiter().GetResult().Trim();
            if (process.ExitCode != 0)
            {
                throw new NftException($"{what}: nft failed (exit {process.ExitCode}): {error}") { NftOutput = error };
            }

            return stdout.GetAwaiter().GetResult();
        }
    }
}
