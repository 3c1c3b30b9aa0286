namespace DevShell.Linux.Net.Nft;

/// <summary>How per-env changes (add, remove, replace an env's objects) reach the kernel.</summary>
public enum NftEnvPath
{
    /// <summary>Nf_tables netlink messages built by DevShell (<see cref="NftNetlinkBatch"/>): no ruleset cache.</summary>
    Netlink,

    /// <summary>nft text through <see cref="NftRunner"/> (libnftables or a spawned nft).</summary>
    Text,
}

/// <summary>
/// DevShell's nftables table (see <see cref="NftRuleset"/> for its layout). Every change is ONE batch, applied
/// atomically. Per-env changes go straight to the kernel as nf_tables netlink messages (<see cref="NftEnvPath.Netlink"/>,
/// a fraction of a millisecond, no ruleset cache); the base chains and every listing go through
/// <see cref="NftRunner"/>: libnftables in-process when it loads, else a spawn of nft (10-130 ms). With a runner that
/// spawns nft (DEVSHELL_NFT=process, the escape hatch) everything goes through it.
/// </summary>
public sealed class NftFirewall(NftTableConfig config, NftRunner? runner = null, NftEnvPath? envPath = null)
{
    // Made on first use: loading libnftables (dlopen of it and five libraries) costs milliseconds a launch does not need.
    private NftRunner? _runner = runner;

    private NftRunner Runner => _runner ??= new NftRunner();

    /// <summary>The path of per-env changes: netlink unless the runner spawns nft (given, or DEVSHELL_NFT=process).</summary>
    public NftEnvPath EnvPath { get; } = envPath
        ?? (runner?.Backend == NftBackend.Process
            || string.Equals(Environment.GetEnvironmentVariable("DEVSHELL_NFT"), "process", StringComparison.OrdinalIgnoreCase)
                ? NftEnvPath.Text
                : NftEnvPath.Netlink);

    public NftTableConfig Config { get; } = config;

    private string Where => $"table inet {Config.TableName}";

    /// <summary>Creates the table and (re)writes its base chains; env elements are kept. Idempotent.</summary>
    public void Up() => Runner.Apply(NftRuleset.Setup(Config), $"setting up nftables {Where}");

    /// <summary>
    /// What a launch calls: if the table already holds this configuration's marker chain (one netlink lookup, no
    /// libnftables cache), nothing is done; otherwise the table is created or its base chains rewritten (as
    /// <see cref="Up"/>) and stale markers of other versions removed, in one batch. Returns true if it wrote.
    /// </summary>
    public bool EnsureUp()
    {
        string marker = NftRuleset.MarkerChain(Config);
        try
        {
            if (NftTableProbe.HasChain(Config.TableName, marker))
            {
                return false;
            }
        }
        catch (Interop.SyscallException)
        {
            // The lookup itself failed (an odd kernel or policy): fall back to writing, which reports real problems.
        }

        IEnumerable<string> stale = ListChainNames().Where(n => n.StartsWith(NftRuleset.MarkerPrefix, StringComparison.Ordinal) && n != marker);
        Runner.Apply(NftRuleset.Setup(Config) + NftRuleset.DeleteChains(Config, stale), $"setting up nftables {Where}");
        return true;
    }

    /// <summary>Names of the table's chains (empty if the table does not exist).</summary>
    public IReadOnlyList<string> ListChainNames()
    {
        try
        {
            return NftListing.ParseChainNames(Runner.Json($"listing chains of {Where}", "list", "table", "inet", Config.TableName));
        }
        catch (NftException e) when (e.NftOutput.Contains("No such file or directory", StringComparison.Ordinal))
        {
            return [];
        }
    }

    /// <summary>Adds or re-applies one env's policy, counter and published ports.</summary>
    public void AddEnv(EnvFirewallSpec env) =>
        Apply(NftRuleset.AddEnvOps(Config, env), $"adding firewall rules of env {env.SessionId} to {Where}");

    /// <summary>Swaps one env's rules for new ones atomically (changed allow list, ports or peers).</summary>
    public void ReplaceEnv(EnvFirewallSpec old, EnvFirewallSpec updated) =>
        Apply(NftRuleset.ReplaceEnvOps(Config, old, updated), $"updating firewall rules of env {updated.SessionId} in {Where}");

    /// <summary>
    /// Removes everything of one env. One batch normally; if that batch is refused (the table holds something
    /// else than the spec says), falls back to listing what the env owns and deleting that.
    /// </summary>
    public void RemoveEnv(EnvFirewallSpec env)
    {
        try
        {
            Apply(NftRuleset.RemoveEnvOps(Config, env), $"removing firewall rules of env {env.SessionId} from {Where}");
        }
        catch (NftException)
        {
            RemoveEnv(env.SessionId);
        }
    }

    /// <summary>Removes whatever the table holds for <paramref name="sessionId"/> (gc). False if it held nothing.</summary>
    public bool RemoveEnv(string sessionId)
    {
        NftEnvElements? found = ListEnvElements().FirstOrDefault(e => e.SessionId == sessionId);
        if (found is null)
        {
            return false;
        }

        Apply(NftRuleset.RemoveElementsOps(Config, found), $"removing firewall rules of env {sessionId} from {Where}");
        return true;
    }

    private void Apply(IReadOnlyList<NftOp> ops, string what)
    {
        if (EnvPath == NftEnvPath.Netlink)
        {
            NftNetlinkBatch.Apply(NftRuleset.TableName(Config), ops, what);
        }
        else
        {
            Runner.Apply(NftOps.Text(NftRuleset.TableName(Config), ops), what);
        }
    }

    /// <summary>Per-env objects in the table, for gc (empty if the table does not exist).</summary>
    public IReadOnlyList<NftEnvElements> ListEnvElements()
    {
        string json;
        try
        {
            json = Runner.Json($"listing {Where}", "list", "table", "inet", Config.TableName);
        }
        catch (NftException e) when (e.NftOutput.Contains("No such file or directory", StringComparison.Ordinal))
        {
            return [];
        }

        return NftListing.ParseEnvElements(json);
    }

    /// <summary>
    /// Dropped packets per session id (counters env-&lt;id&gt;-drop). The sampler turns increases into
    /// "egress_blocked" events. Read over nfnetlink, no spawn: cheap enough for 1 Hz.
    /// </summary>
    public IReadOnlyDictionary<string, long> ReadDropCounters() =>
        NftListing.DropCountersBySession(ReadCounters());

    /// <summary>Every named counter of the table (including unregistered-drop and inbound-drop), by name.</summary>
    public IReadOnlyDictionary<string, long> ReadCounters() => NftCounterReader.Read(Config.TableName);

    /// <summary>The same as <see cref="ReadCounters"/> through <c>nft -j list counters</c> (libnftables or a spawn).</summary>
    public IReadOnlyDictionary<string, long> ReadCountersWithNft() =>
        NftListing.ParseCounters(Runner.Json($"reading counters of {Where}", "list", "counters", "table", "inet", Config.TableName));

    /// <summary>True if the table exists.</summary>
    public bool Exists() =>
        NftListing.ParseTableNames(Runner.Json("listing nftables tables", "list", "tables", "inet")).Contains(Config.TableName);

    /// <summary>Deletes the whole table (all envs' rules). Succeeds if it does not exist.</summary>
    public void Down() => Runner.Apply(NftRuleset.Down(Config), $"deleting {Where}");
}
