using System.Diagnostics;
using System.Text.Json;
using DevShell.Core.Networking;
using DevShell.Linux.Net;
using DevShell.Linux.Net.Nft;
using DevShell.Linux.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace DevShell.Linux.Tests.Net;

/// <summary>
/// NftRunner's two backends: libnftables in-process (the default when it loads) and the nft binary. They must
/// agree on output and on error text. Each test uses its own table devshell_test_* and deletes it.
/// </summary>
[Collection(NetworkTestGroup.Name)]
public sealed class NftRunnerTests(ITestOutputHelper output) : IDisposable
{
    private const string NoNft = "/nonexistent/nft";
    private readonly string _table = NetTestNames.NftTable();
    private bool _ready;

    private string T => $"inet {_table}";

    public void Dispose()
    {
        if (_ready)
        {
            new NftRunner().Apply($"add table {T}\ndelete table {T}\n", $"deleting test table {T}");
        }
    }

    private bool LibraryReady() =>
        _ready = Requires.Root(output) && Requires.Feature(NftRunner.LibraryAvailable(out string problem), problem, output);

    private bool BothReady() => LibraryReady() && Requires.Command("nft", output, "apt-get install nftables");

    [Fact]
    public void Default_runner_uses_libnftables_in_process_and_never_needs_the_nft_binary()
    {
        if (!LibraryReady())
        {
            return;
        }

        Assert.Equal(NftBackend.Library, new NftRunner().Backend);
        Assert.Equal(NftBackend.Process, new NftRunner("/usr/sbin/nft").Backend); // an explicit binary is honoured

        // With a binary that does not exist, batches and listings still work: nothing is spawned.
        var runner = new NftRunner(NftBackend.Library, NoNft);
        runner.Apply($"add table {T}\nadd counter {T} probe\n", "creating a test table");
        string json = runner.Json("listing the test table", "list", "counters", "table", "inet", _table);

        Assert.Contains("probe", NftListing.ParseCounters(json).Keys);
    }

    [Fact]
    public void Options_the_library_path_does_not_handle_go_to_the_nft_binary()
    {
        if (!LibraryReady())
        {
            return;
        }

        var runner = new NftRunner(NftBackend.Library, NoNft);

        // -n (numeric) is not translated, so this must spawn the (missing) binary and say so.
        var e = Assert.Throws<NftException>(() => runner.Run(["-n", "list", "tables"], null, "listing tables"));
        Assert.StartsWith("listing tables: cannot run /nonexistent/nft", e.Message, StringComparison.Ordinal);
        Assert.Contains("install nftables", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_batch_fails_in_process_with_the_same_error_as_the_nft_binary_and_changes_nothing()
    {
        if (!BothReady())
        {
            return;
        }

        var library = new NftRunner(NftBackend.Library);
        var process = new NftRunner(NftBackend.Process);
        library.Apply($"add table {T}\n", "creating a test table");
        string what = $"adding firewall rules of env abc to table {T}";
        string missingChain = $"add counter {T} k1\nadd chain {T} c1\nadd rule {T} nochain accept\n";
        string badSyntax = $"add chain {T} c2\nadd rule {T} c2 bogus words here\n";

        foreach ((string batch, string[] expected) in new[]
        {
            (missingChain, new[] { "batch:3:", "Error: Could not process rule: No such file or directory", $"add rule {T} nochain accept", "^^^^^^^" }),
            (badSyntax, new[] { "batch:2:", "Error: syntax error", $"add rule {T} c2 bogus words here" }),
        })
        {
            NftException inProcess = Assert.Throws<NftException>(() => library.Apply(batch, what));
            NftException spawned = Assert.Throws<NftException>(() => process.Apply(batch, what));
            output.WriteLine($"in-process: {inProcess.Message}\nspawned:    {spawned.Message}\n");

            Assert.Equal(spawned.NftOutput, inProcess.NftOutput);
            foreach (string part in expected)
            {
                Assert.Contains(part, inProcess.NftOutput, StringComparison.Ordinal);
            }

            Assert.Equal($"{what}: nft failed: {inProcess.NftOutput}", inProcess.Message);
            Assert.Equal($"{what}: nft failed (exit 1): {spawned.NftOutput}", spawned.Message);
        }

        // Atomic: the lines before the failing one did not happen either.
        string json = library.Json("listing the test table", "list", "table", "inet", _table);
        Assert.DoesNotContain("\"k1\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"c1\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"c2\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Listing_a_missing_table_fails_the_same_way_in_both_backends_and_the_firewall_reads_it_as_empty()
    {
        if (!BothReady())
        {
            return;
        }

        string[] args = ["list", "table", "inet", _table];
        NftException inProcess = Assert.Throws<NftException>(() => new NftRunner(NftBackend.Library).Json("listing", args));
        NftException spawned = Assert.Throws<NftException>(() => new NftRunner(NftBackend.Process).Json("listing", args));

        Assert.Equal(spawned.NftOutput, inProcess.NftOutput);
        Assert.Contains("No such file or directory", inProcess.NftOutput, StringComparison.Ordinal);
        var firewall = new NftFirewall(Config(), new NftRunner(NftBackend.Library));
        Assert.Empty(firewall.ListEnvElements());
        Assert.False(firewall.Exists());
    }

    [Fact]
    public void Json_listing_in_process_is_identical_to_the_nft_binarys()
    {
        if (!BothReady())
        {
            return;
        }

        var firewall = new NftFirewall(Config(), new NftRunner(NftBackend.Library));
        firewall.Up();
        firewall.AddEnv(Spec("j1", 2) with { Egress = EgressPolicy.Allow, Allow = [Rule("10.0.0.0/8:443")] });
        firewall.AddEnv(Spec("j2", 3) with { Ports = [new PortMapping(31000, 80, Protocol.Tcp)] });

        string[] args = ["list", "table", "inet", _table];
        string inProcess = new NftRunner(NftBackend.Library).Json("listing", args);
        string spawned = new NftRunner(NftBackend.Process).Json("listing", args);

        Assert.Equal(spawned, inProcess);
        using JsonDocument doc = JsonDocument.Parse(inProcess); // it is JSON (NFT_CTX_OUTPUT_JSON took effect)
        Assert.True(doc.RootElement.TryGetProperty("nftables", out _));
        Assert.Equal(["j1", "j2"], firewall.ListEnvElements().Select(e => e.SessionId));
    }

    [Fact]
    public void Check_mode_in_process_validates_without_changing_the_table()
    {
        if (!LibraryReady())
        {
            return;
        }

        var runner = new NftRunner(NftBackend.Library, NoNft);
        runner.Apply($"add table {T}\n", "creating a test table");

        runner.Run(["-c", "-f", "-"], $"add chain {T} dry\n", "checking a batch");
        var e = Assert.Throws<NftException>(() => runner.Run(["--check", "-f", "-"], $"add rule {T} nochain accept\n", "checking a batch"));

        Assert.Contains("batch:1:", e.NftOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("\"dry\"", runner.Json("listing", "list", "table", "inet", _table), StringComparison.Ordinal);
    }

    [Fact]
    public void In_process_calls_act_in_the_network_namespace_of_the_calling_thread()
    {
        if (!LibraryReady())
        {
            return;
        }

        var runner = new NftRunner(NftBackend.Library, NoNft);
        runner.Apply("add table inet devshell_probe_outer\ndelete table inet devshell_probe_outer\n", "warming up"); // a context existed on the host first

        string inside = NetnsThread.RunInNew(
            () =>
            {
                runner.Apply($"add table {T}\n", "creating a table in a fresh netns");
                return runner.Json("listing tables", "list", "tables", "inet");
            },
            "nft in a new netns");

        Assert.Contains(_table, NftListing.ParseTableNames(inside));
        Assert.DoesNotContain(_table, NftListing.ParseTableNames(runner.Json("listing tables", "list", "tables", "inet")));
    }

    [Fact]
    public void Concurrent_calls_from_many_threads_all_succeed()
    {
        if (!LibraryReady())
        {
            return;
        }

        var runner = new NftRunner(NftBackend.Library);
        runner.Apply($"add table {T}\n", "creating a test table");
        const int threads = 8, each = 15;

        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            for (int i = 0; i < each; i++)
            {
                runner.Apply($"add chain {T} c{t}-{i}\nadd counter {T} k{t}-{i}\n", "adding a chain");
                _ = runner.Json("listing counters", "list", "counters", "table", "inet", _table);
            }
        });

        var counters = NftListing.ParseCounters(runner.Json("listing counters", "list", "counters", "table", "inet", _table));
        Assert.Equal(threads * each, counters.Count);
    }

    [Fact]
    public void Per_env_batches_in_process_are_much_cheaper_than_spawning_nft()
    {
        if (!BothReady())
        {
            return;
        }

        var library = new NftFirewall(Config(), new NftRunner(NftBackend.Library));
        var process = new NftFirewall(Config(), new NftRunner(NftBackend.Process));
        library.Up();
        for (int i = 0; i < 20; i++)
        {
            library.AddEnv(Spec("bg" + i, 100 + i) with { Ports = [new PortMapping(32000 + i, 80, Protocol.Tcp)] }); // a busy table
        }

        var times = new Dictionary<string, List<double>> { ["library add"] = [], ["library remove"] = [], ["nft add"] = [], ["nft remove"] = [] };
        for (int i = 0; i < 15; i++)
        {
            foreach ((string name, NftFirewall firewall) in new[] { ("library", library), ("nft", process) })
            {
                EnvFirewallSpec spec = Spec("m" + i, 20 + i) with
                {
                    Egress = EgressPolicy.Allow,
                    Allow = [Rule("10.0.0.0/8:443"), Rule("192.0.2.0/24")],
                    Ports = [new PortMapping(30000 + i, 80, Protocol.Tcp)],
                };
                var sw = Stopwatch.StartNew();
                firewall.AddEnv(spec);
                times[name + " add"].Add(sw.Elapsed.TotalMilliseconds);
                sw.Restart();
                firewall.RemoveEnv(spec);
                times[name + " remove"].Add(sw.Elapsed.TotalMilliseconds);
            }
        }

        output.WriteLine(string.Join("; ", times.Select(p => $"{p.Key} median {Median(p.Value):F2} ms (max {p.Value.Max():F1})")) +
            " (n=15, 20 other envs in the table)");
        Assert.Equal(20, library.ListEnvElements().Count);
        Assert.True(Median(times["library add"]) * 3 < Median(times["nft add"]), "in-process add is not clearly cheaper");
        Assert.True(Median(times["library remove"]) * 3 < Median(times["nft remove"]), "in-process remove is not clearly cheaper");
    }

    private NftTableConfig Config() => new(_table, "dstest" + NetTestNames.Hex(), Ipv4Cidr.Parse("10.250.7.0/24"));

    private static EnvFirewallSpec Spec(string id, int host) => new(id, Ipv4Cidr.Parse("10.250.7.0/24").Network + (uint)host);

    private static EgressRule Rule(string text) =>
        EgressRule.TryParse(text, out EgressRule? rule, out string problem) ? rule! : throw new FormatException(problem);

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
