using System.Globalization;
using System.Text.RegularExpressions;

namespace DevShell.Core.Networking;

/// <summary>
/// One entry of network.egress.allow: "CIDR", "CIDR:PORT", "CIDR:PORT/udp", or "NAME.devshell[:PORT][/udp]"
/// where NAME is another profile reached over the DevShell bridge. A bare address means /32.
/// </summary>
public sealed partial record EgressRule
{
    /// <summary>The accepted forms, for messages.</summary>
    public const string Usage = "use CIDR, CIDR:PORT, CIDR:PORT/udp or NAME.devshell:PORT, e.g. 10.0.0.0/8:443";

    /// <summary>Suffix that marks a rule naming another DevShell profile.</summary>
    public const string PeerSuffix = ".devshell";

    /// <summary>The destination network, when the rule names one.</summary>
    public Ipv4Cidr? Network { get; init; }

    /// <summary>The destination profile name, when the rule names a peer ("orders-db" for "orders-db.devshell").</summary>
    public string? Peer { get; init; }

    /// <summary>Destination port, or null for every port.</summary>
    public int? Port { get; init; }

    /// <summary>Protocol; with no port the rule covers both TCP and UDP.</summary>
    public Protocol Protocol { get; init; }

    /// <summary>Parses one allow entry.</summary>
    public static bool TryParse(string? text, out EgressRule? rule, out string problem)
    {
        rule = null;
        problem = $"is not an egress rule ({Usage})";
        if (string.IsNullOrEmpty(text) || text.Length > 80)
        {
            return false;
        }

        var rest = text;
        var protocol = Protocol.Tcp;
        var slashProto = rest.LastIndexOf('/');
        var firstColon = rest.IndexOf(':', StringComparison.Ordinal);
        if (firstColon >= 0 && slashProto > firstColon)
        {
            if (!PortMapping.TryParseProtocol(rest.AsSpan(slashProto + 1), out protocol))
            {
                return false;
            }

            rest = rest[..slashProto];
        }

        int? port = null;
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            if (!PortMapping.TryParsePort(rest.AsSpan(colon + 1), out var p, ref problem))
            {
                return false;
            }

            port = p;
            rest = rest[..colon];
        }

        if (rest.EndsWith(PeerSuffix, StringComparison.Ordinal))
        {
            var peer = rest[..^PeerSuffix.Length];
            if (!PeerName().IsMatch(peer))
            {
                problem = $"names peer \"{peer}\", which is not a profile name ({Usage})";
                return false;
            }

            rule = new EgressRule { Peer = peer, Port = port, Protocol = protocol };
            return true;
        }

        if (!Ipv4Cidr.TryParse(rest, out var cidr, out var cidrProblem))
        {
            if (cidrProblem.StartsWith("has ", StringComparison.Ordinal))
            {
                problem = cidrProblem;
            }

            return false;
        }

        rule = new EgressRule { Network = cidr, Port = port, Protocol = protocol };
        return true;
    }

    /// <summary>Canonical text of the rule.</summary>
    public override string ToString()
    {
        var target = Peer is not null ? Peer + PeerSuffix : Network!.Value.ToString();
        return Port is null
            ? target
            : string.Create(CultureInfo.InvariantCulture, $"{target}:{Port}{(Protocol == Protocol.Udp ? "/udp" : "")}");
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,47}$", RegexOptions.CultureInvariant)]
    private static partial Regex PeerName();
}
