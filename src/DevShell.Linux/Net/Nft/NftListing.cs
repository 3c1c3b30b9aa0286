using System.Globalization;
using System.Text.Json;
using DevShell.Core.Networking;

namespace DevShell.Linux.Net.Nft;

/// <summary>A published-port element of the <c>published</c> map.</summary>
public readonly record struct PublishedElement(Protocol Protocol, int HostPort, uint Address, int EnvPort);

/// <summary>Everything one env owns in the table (found by listing, for gc).</summary>
/// <param name="SessionId">The env.</param>
/// <param name="Address">The key of its egress map element, if present.</param>
/// <param name="HasChain">Chain env-&lt;id&gt; exists.</param>
/// <param name="HasCounter">Counter env-&lt;id&gt;-drop exists.</param>
/// <param name="Published">Its published-port elements.</param>
public sealed record NftEnvElements(
    string SessionId,
    uint? Address,
    bool HasChain,
    bool HasCounter,
    IReadOnlyList<PublishedElement> Published);

/// <summary>Parses <c>nft -j list ...</c> output (libnftables JSON schema 1).</summary>
public static class NftListing
{
    /// <summary>
    /// Per-env objects of a <c>nft -j list table inet T</c> listing. Published elements are attributed by their
    /// comment (the session id) or, without one, by their target address.
    /// </summary>
    public static IReadOnlyList<NftEnvElements> ParseEnvElements(string json)
    {
        var chains = new HashSet<string>(StringComparer.Ordinal);
        var counters = new HashSet<string>(StringComparer.Ordinal);
        var addresses = new Dictionary<string, uint>(StringComparer.Ordinal);
        var published = new List<(string? Id, PublishedElement Element)>();
        using JsonDocument doc = JsonDocument.Parse(json);
        foreach (JsonElement item in Items(doc))
        {
            if (item.TryGetProperty("chain", out JsonElement chain) && Id(chain, "name", "env-", "") is string chainId)
            {
                chains.Add(chainId);
            }
            else if (item.TryGetProperty("counter", out JsonElement counter) && Id(counter, "name", "env-", "-drop") is string counterId)
            {
                counters.Add(counterId);
            }
            else if (item.TryGetProperty("map", out JsonElement map) && map.TryGetProperty("elem", out JsonElement elems))
            {
                string name = map.GetProperty("name").GetString() ?? "";
                foreach (JsonElement pair in elems.EnumerateArray())
                {
                    if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2)
                    {
                        continue;
                    }

                    (JsonElement key, string? comment) = Unwrap(pair[0]);
                    JsonElement value = pair[1];
                    if (name == "egress" && TryAddress(key, out uint ip)
                        && value.TryGetProperty("jump", out JsonElement jump)
                        && jump.GetProperty("target").GetString() is string target
                        && target.StartsWith("env-", StringComparison.Ordinal))
                    {
                        addresses[target["env-".Length..]] = ip;
                    }
                    else if (name == "published" && TryPublished(key, value, out PublishedElement element))
                    {
                        published.Add((comment, element));
                    }
                }
            }
        }

        var ids = new SortedSet<string>(chains, StringComparer.Ordinal);
        ids.UnionWith(counters);
        ids.UnionWith(addresses.Keys);
        ids.UnionWith(published.Select(p => p.Id).OfType<string>());
        var result = new List<NftEnvElements>();
        foreach (string id in ids)
        {
            uint? address = addresses.TryGetValue(id, out uint a) ? a : null;
            var mine = published
                .Where(p => p.Id == id || (p.Id is null && address == p.Element.Address))
                .Select(p => p.Element)
                .ToList();
            result.Add(new NftEnvElements(id, address, chains.Contains(id), counters.Contains(id), mine));
        }

        return result;
    }

    /// <summary>Packets of every counter in a <c>nft -j list counters table inet T</c> listing, by counter name.</summary>
    public static IReadOnlyDictionary<string, long> ParseCounters(string json)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        using JsonDocument doc = JsonDocument.Parse(json);
        foreach (JsonElement item in Items(doc))
        {
            if (item.TryGetProperty("counter", out JsonElement counter)
                && counter.GetProperty("name").GetString() is string name
                && counter.TryGetProperty("packets", out JsonElement packets))
            {
                result[name] = packets.GetInt64();
            }
        }

        return result;
    }

    /// <summary>Drop packets per session id, from counters named env-&lt;id&gt;-drop.</summary>
    public static IReadOnlyDictionary<string, long> DropCountersBySession(IReadOnlyDictionary<string, long> counters)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach ((string name, long packets) in counters)
        {
            if (name.StartsWith("env-", StringComparison.Ordinal) && name.EndsWith("-drop", StringComparison.Ordinal)
                && name.Length > "env--drop".Length)
            {
                result[name["env-".Length..^"-drop".Length]] = packets;
            }
        }

        return result;
    }

    private static JsonElement.ArrayEnumerator Items(JsonDocument doc) =>
        doc.RootElement.TryGetProperty("nftables", out JsonElement items) && items.ValueKind == JsonValueKind.Array
            ? items.EnumerateArray()
            : throw new FormatException("nft -j output has no \"nftables\" array");

    /// <summary>Names of the chains in a <c>nft -j list table ...</c> or <c>list chains</c> listing.</summary>
    public static IReadOnlyList<string> ParseChainNames(string json) => ParseNames(json, "chain");

    /// <summary>Names of the tables in a <c>nft -j list tables</c> listing.</summary>
    public static IReadOnlyList<string> ParseTableNames(string json) => ParseNames(json, "table");

    /// <summary>The "name" of every item of kind <paramref name="kind"/> ("chain", "table") in an <c>nft -j</c> listing.</summary>
    private static List<string> ParseNames(string json, string kind)
    {
        var names = new List<string>();
        using JsonDocument doc = JsonDocument.Parse(json);
        foreach (JsonElement item in Items(doc))
        {
            if (item.TryGetProperty(kind, out JsonElement element) && element.GetProperty("name").GetString() is string name)
            {
                names.Add(name);
            }
        }

        return names;
    }

    private static string? Id(JsonElement obj, string property, string prefix, string suffix)
    {
        string? name = obj.TryGetProperty(property, out JsonElement n) ? n.GetString() : null;
        return name is not null && name.Length > prefix.Length + suffix.Length
            && name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(suffix, StringComparison.Ordinal)
            ? name[prefix.Length..^suffix.Length]
            : null;
    }

    /// <summary>An element key is either the value itself or {"elem": {"val": ..., "comment": ...}}.</summary>
    private static (JsonElement Key, string? Comment) Unwrap(JsonElement key)
    {
        if (key.ValueKind == JsonValueKind.Object && key.TryGetProperty("elem", out JsonElement elem))
        {
            string? comment = elem.TryGetProperty("comment", out JsonElement c) ? c.GetString() : null;
            return (elem.GetProperty("val"), comment);
        }

        return (key, null);
    }

    private static bool TryAddress(JsonElement value, out uint address)
    {
        address = 0;
        return value.ValueKind == JsonValueKind.String && Ipv4.TryParse(value.GetString(), out address);
    }

    private static bool TryPublished(JsonElement key, JsonElement value, out PublishedElement element)
    {
        element = default;
        if (!TryConcat(key, out JsonElement proto, out JsonElement hostPort)
            || !TryConcat(value, out JsonElement address, out JsonElement envPort)
            || !TryAddress(address, out uint ip)
            || !TryPort(hostPort, out int host)
            || !TryPort(envPort, out int env))
        {
            return false;
        }

        Protocol protocol = proto.GetString() switch
        {
            "udp" => Protocol.Udp,
            _ => Protocol.Tcp,
        };
        element = new PublishedElement(protocol, host, ip, env);
        return true;
    }

    private static bool TryConcat(JsonElement e, out JsonElement first, out JsonElement second)
    {
        first = second = default;
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("concat", out JsonElement concat)
            || concat.GetArrayLength() != 2)
        {
            return false;
        }

        first = concat[0];
        second = concat[1];
        return true;
    }

    private static bool TryPort(JsonElement e, out int port)
    {
        port = 0;
        return e.ValueKind == JsonValueKind.Number ? e.TryGetInt32(out port)
            : e.ValueKind == JsonValueKind.String && int.TryParse(e.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out port);
    }
}
