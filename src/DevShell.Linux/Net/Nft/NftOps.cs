using System.Globalization;
using System.Text;
using DevShell.Core.Networking;

namespace DevShell.Linux.Net.Nft;

/// <summary>One match of an env-chain rule.</summary>
public abstract record NftMatch;

/// <summary><c>oifname "NAME"</c>.</summary>
public sealed record OifNameMatch(string Name) : NftMatch;

/// <summary><c>ip daddr TEXT</c>: <paramref name="Network"/> with <paramref name="Text"/> as written ("10.0.0.0/8", "10.1.2.3").</summary>
public sealed record DaddrMatch(Ipv4Cidr Network, string Text) : NftMatch;

/// <summary><c>tcp dport N</c> / <c>udp dport N</c>.</summary>
public sealed record DportMatch(Protocol Protocol, int Port) : NftMatch;

/// <summary>A rule of an env chain: matches, then optionally a named counter, then accept or drop.</summary>
public sealed record NftRule(IReadOnlyList<NftMatch> Matches, string? Counter, bool Accept)
{
    /// <summary>The rule in nft syntax, e.g. <c>ip daddr 10.0.0.0/8 tcp dport 443 accept</c>.</summary>
    public override string ToString()
    {
        var s = new StringBuilder();
        foreach (NftMatch m in Matches)
        {
            s.Append(m switch
            {
                OifNameMatch o => $"oifname {NftOps.Quote(o.Name)}",
                DaddrMatch d => $"ip daddr {d.Text}",
                DportMatch p => string.Create(CultureInfo.InvariantCulture, $"{NftOps.Proto(p.Protocol)} dport {p.Port}"),
                _ => throw new ArgumentOutOfRangeException(nameof(Matches), m, "unknown match"),
            }).Append(' ');
        }

        if (Counter is not null)
        {
            s.Append("counter name ").Append(NftOps.Quote(Counter)).Append(' ');
        }

        return s.Append(Accept ? "accept" : "drop").ToString();
    }
}

/// <summary>
/// One change to DevShell's table, as data: the per-env batches are lists of these, written either as nft text
/// (<see cref="NftOps.Text"/>, for libnftables) or as nf_tables netlink messages (<see cref="NftNetlinkBatch"/>),
/// so both paths apply exactly the same objects.
/// </summary>
public abstract record NftOp;

public sealed record AddCounterOp(string Name) : NftOp;

public sealed record DeleteCounterOp(string Name) : NftOp;

public sealed record AddChainOp(string Name) : NftOp;

/// <summary>Deletes every rule of the chain.</summary>
public sealed record FlushChainOp(string Name) : NftOp;

public sealed record DeleteChainOp(string Name) : NftOp;

public sealed record AddRuleOp(string Chain, NftRule Rule) : NftOp;

/// <summary>Element <c>ADDRESS : jump CHAIN</c> of the verdict map <c>egress</c>.</summary>
public sealed record AddEgressElementOp(uint Address, string Chain, string? Comment) : NftOp;

public sealed record DeleteEgressElementOp(uint Address) : NftOp;

/// <summary>Element <c>PROTO . HOSTPORT : ADDRESS . ENVPORT</c> of the map <c>published</c>.</summary>
public sealed record AddPublishedElementOp(Protocol Protocol, int HostPort, uint Address, int EnvPort, string? Comment) : NftOp;

public sealed record DeletePublishedElementOp(Protocol Protocol, int HostPort) : NftOp;

/// <summary>Text rendering of <see cref="NftOp"/> lists, and the quoting rules shared with <see cref="NftRuleset"/>.</summary>
public static class NftOps
{
    /// <summary>The batch as nft text (one command per line) for table inet <paramref name="table"/>.</summary>
    public static string Text(string table, IEnumerable<NftOp> ops)
    {
        string t = "inet " + table;
        var s = new StringBuilder();
        foreach (NftOp op in ops)
        {
            s.Append(op switch
            {
                AddCounterOp o => $"add counter {t} {o.Name}",
                DeleteCounterOp o => $"delete counter {t} {o.Name}",
                AddChainOp o => $"add chain {t} {o.Name}",
                FlushChainOp o => $"flush chain {t} {o.Name}",
                DeleteChainOp o => $"delete chain {t} {o.Name}",
                AddRuleOp o => $"add rule {t} {o.Chain} {o.Rule}",
                AddEgressElementOp o => $"add element {t} egress {{ {Ipv4.Format(o.Address)}{Comment(o.Comment)} : jump {o.Chain} }}",
                DeleteEgressElementOp o => $"delete element {t} egress {{ {Ipv4.Format(o.Address)} }}",
                AddPublishedElementOp o => string.Create(CultureInfo.InvariantCulture,
                    $"add element {t} published {{ {Proto(o.Protocol)} . {o.HostPort}{Comment(o.Comment)} : {Ipv4.Format(o.Address)} . {o.EnvPort} }}"),
                DeletePublishedElementOp o => string.Create(CultureInfo.InvariantCulture, $"delete element {t} published {{ {Proto(o.Protocol)} . {o.HostPort} }}"),
                _ => throw new ArgumentOutOfRangeException(nameof(ops), op, "unknown operation"),
            }).Append('\n');
        }

        return s.ToString();
    }

    internal static string Proto(Protocol p) => p == Protocol.Udp ? "udp" : "tcp";

    internal static string Quote(string s) =>
        s.Contains('"', StringComparison.Ordinal) || s.Contains('\n', StringComparison.Ordinal)
            ? throw new ArgumentException($"\"{s}\" cannot appear in an nft ruleset")
            : $"\"{s}\"";

    private static string Comment(string? comment) => comment is null ? "" : " comment " + Quote(comment);
}
