using System.Globalization;

namespace DevShell.Core.Networking;

/// <summary>A published port "HOST:ENV" or "HOST:ENV/udp" (host side bound to 127.0.0.1 only).</summary>
public readonly record struct PortMapping(int HostPort, int EnvPort, Protocol Protocol)
{
    /// <summary>The accepted forms, for messages.</summary>
    public const string Usage = "use HOST:ENV or HOST:ENV/udp with ports 1..65535, e.g. 3000:3000";

    /// <summary>Parses "HOST:ENV[/tcp|/udp]".</summary>
    public static bool TryParse(string? text, out PortMapping mapping, out string problem)
    {
        mapping = default;
        problem = $"is not a port mapping ({Usage})";
        if (string.IsNullOrEmpty(text) || text.Length > 24)
        {
            return false;
        }

        var span = text.AsSpan();
        var protocol = Protocol.Tcp;
        var slash = span.IndexOf('/');
        if (slash >= 0)
        {
            if (!TryParseProtocol(span[(slash + 1)..], out protocol))
            {
                return false;
            }

            span = span[..slash];
        }

        var colon = span.IndexOf(':');
        if (colon < 0)
        {
            return false;
        }

        if (!TryParsePort(span[..colon], out var host, ref problem) || !TryParsePort(span[(colon + 1)..], out var env, ref problem))
        {
            return false;
        }

        mapping = new PortMapping(host, env, protocol);
        return true;
    }

    /// <summary>Canonical text, e.g. "3000:3000" or "5353:53/udp".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{HostPort}:{EnvPort}{(Protocol == Protocol.Udp ? "/udp" : "")}");

    internal static bool TryParseProtocol(ReadOnlySpan<char> text, out Protocol protocol)
    {
        protocol = Protocol.Tcp;
        if (text is "tcp")
        {
            return true;
        }

        if (text is "udp")
        {
            protocol = Protocol.Udp;
            return true;
        }

        return false;
    }

    internal static bool TryParsePort(ReadOnlySpan<char> text, out int port, ref string problem)
    {
        port = 0;
        if (text.IsEmpty || text.Length > 5 || text[0] == '0')
        {
            if (text is "0")
            {
                problem = "has port 0; ports must be 1..65535";
            }

            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        port = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        if (port > 65535)
        {
            problem = $"has port {port}; ports must be 1..65535";
            return false;
        }

        return true;
    }
}
