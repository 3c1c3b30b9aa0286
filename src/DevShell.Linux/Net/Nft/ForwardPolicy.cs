using System.Globalization;
using System.Text.Json;

namespace DevShell.Linux.Net.Nft;

/// <summary>
/// A base chain of another table on the forward hook whose policy is drop (Docker sets iptables' FORWARD policy to
/// DROP), and whether its table has rules accepting the DevShell bridge's traffic.
/// </summary>
/// <param name="Family">ip, ip6, inet, ...</param>
/// <param name="Table">Its table.</param>
/// <param name="Chain">The base chain.</param>
/// <param name="Priority">Its hook priority.</param>
/// <param name="AcceptsFromBridge">Some rule of the table accepts packets coming in from the bridge (iifname).</param>
/// <param name="AcceptsToBridge">Some rule of the table accepts packets going out to the bridge (oifname).</param>
/// <param name="HasDockerUser">The table has Docker's DOCKER-USER chain (where Docker wants such rules).</param>
public sealed record ForwardDropChain(
    string Family,
    string Table,
    string Chain,
    int Priority,
    bool AcceptsFromBridge,
    bool AcceptsToBridge,
    bool HasDockerUser)
{
    /// <summary>Both directions of the bridge's traffic get through this chain.</summary>
    public bool LetsBridgeThrough => AcceptsFromBridge && AcceptsToBridge;

    /// <summary>The commands that let the bridge's traffic through this chain (DevShell's own table still filters it).</summary>
    public string Fix(string bridge) =>
        Family is "ip" or "ip6" && Table == "filter" && (HasDockerUser || Chain == "FORWARD")
            ? string.Create(CultureInfo.InvariantCulture,
                $"{(Family == "ip6" ? "ip6tables" : "iptables")} -I {(HasDockerUser ? "DOCKER-USER" : Chain)} -i {bridge} -j ACCEPT && " +
                $"{(Family == "ip6" ? "ip6tables" : "iptables")} -I {(HasDockerUser ? "DOCKER-USER" : Chain)} -o {bridge} -j ACCEPT")
            : $"nft insert rule {Family} {Table} {Chain} iifname \"{bridge}\" accept && nft insert rule {Family} {Table} {Chain} oifname \"{bridge}\" accept";
}

/// <summary>
/// Finds forward-hook chains that would drop bridged envs' traffic.
/// <para>
/// Why it matters: env traffic is routed by the host (see <see cref="BridgeNetwork"/>), so it crosses EVERY base
/// chain on the forward hook, of every table, in priority order. An accept in DevShell's table ends only that chain;
/// the packet then meets the next one, and a drop anywhere is final (nftables has no accept that overrides another
/// table). So on a host where Docker has set iptables' FORWARD policy to DROP, envs reach neither each other nor the
/// outside whatever DevShell's own rules say, until that chain lets the bridge through (Docker's documented place
/// for that is its DOCKER-USER chain). DevShell does not edit other programs' tables; <c>devshell doctor</c> reports
/// such a chain and prints the commands (<see cref="ForwardDropChain.Fix"/>). Checked by
/// ForwardPolicyTests with a throwaway drop chain before and after DevShell's.
/// </para>
/// </summary>
public static class ForwardPolicy
{
    /// <summary>Reads the ruleset (libnftables or nft) and returns the dropping chains of tables other than <paramref name="ownTable"/>.</summary>
    public static IReadOnlyList<ForwardDropChain> FindDropping(string bridge, string ownTable, NftRunner? runner = null) =>
        Parse((runner ?? new NftRunner()).Json("listing the nftables ruleset", "list", "ruleset"), bridge, ownTable);

    /// <summary>The dropping forward chains in a <c>nft -j list ruleset</c> listing (pure; for tests).</summary>
    public static IReadOnlyList<ForwardDropChain> Parse(string json, string bridge, string ownTable)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("nftables", out JsonElement items) || items.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("nft -j output has no \"nftables\" array");
        }

        var dropping = new List<(string Family, string Table, string Chain, int Priority)>();
        var fromBridge = new HashSet<(string, string)>();
        var toBridge = new HashSet<(string, string)>();
        var dockerUser = new HashSet<(string, string)>();
        foreach (JsonElement item in items.EnumerateArray())
        {
            if (item.TryGetProperty("chain", out JsonElement chain))
            {
                string family = Str(chain, "family"), table = Str(chain, "table"), name = Str(chain, "name");
                if (name == "DOCKER-USER")
                {
                    dockerUser.Add((family, table));
                }

                if (Str(chain, "hook") == "forward" && Str(chain, "policy") == "drop" && !(family == "inet" && table == ownTable))
                {
                    int priority = chain.TryGetProperty("prio", out JsonElement p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : 0;
                    dropping.Add((family, table, name, priority));
                }
            }
            else if (item.TryGetProperty("rule", out JsonElement rule) && rule.TryGetProperty("expr", out JsonElement expr)
                && expr.ValueKind == JsonValueKind.Array && Accepts(expr))
            {
                var key = (Str(rule, "family"), Str(rule, "table"));
                if (MatchesInterface(expr, "iifname", bridge))
                {
                    fromBridge.Add(key);
                }

                if (MatchesInterface(expr, "oifname", bridge))
                {
                    toBridge.Add(key);
                }
            }
        }

        return dropping
            .Select(d => new ForwardDropChain(d.Family, d.Table, d.Chain, d.Priority,
                fromBridge.Contains((d.Family, d.Table)), toBridge.Contains((d.Family, d.Table)), dockerUser.Contains((d.Family, d.Table))))
            .ToList();
    }

    private static bool Accepts(JsonElement expr) =>
        expr.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("accept", out _));

    /// <summary>A rule expression {"match": {"op": "==", "left": {"meta": {"key": KEY}}, "right": BRIDGE}}.</summary>
    private static bool MatchesInterface(JsonElement expr, string key, string bridge) =>
        expr.EnumerateArray().Any(e =>
            e.ValueKind == JsonValueKind.Object
            && e.TryGetProperty("match", out JsonElement m)
            && m.TryGetProperty("left", out JsonElement left) && left.ValueKind == JsonValueKind.Object
            && left.TryGetProperty("meta", out JsonElement meta) && meta.ValueKind == JsonValueKind.Object
            && Str(meta, "key") == key
            && m.TryGetProperty("right", out JsonElement right) && right.ValueKind == JsonValueKind.String && right.GetString() == bridge
            && (!m.TryGetProperty("op", out JsonElement op) || op.GetString() is "==" or "in"));

    private static string Str(JsonElement e, string property) =>
        e.TryGetProperty(property, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
}
