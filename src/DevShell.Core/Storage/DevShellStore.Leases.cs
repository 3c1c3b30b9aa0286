using DevShell.Core.Networking;
using LiteDB;

namespace DevShell.Core.Storage;

public sealed partial class DevShellStore
{
    /// <summary>
    /// Leases an address in <paramref name="subnet"/> to a session: the lowest free host address, skipping the network
    /// address, the gateway (.1), the broadcast address and <paramref name="reserved"/>; or exactly <paramref name="staticIp"/>.
    /// Idempotent per session (a session that holds a lease gets it back). Runs in one transaction, so two processes
    /// never receive the same address.
    /// </summary>
    /// <exception cref="IpAllocationException">No address is free, or the static one is taken or unusable.</exception>
    public IpLease AllocateIp(string sessionId, Ipv4Cidr subnet, IEnumerable<uint>? reserved = null, string? staticIp = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        var skip = new HashSet<uint>(reserved ?? []) { subnet.Network, subnet.Gateway, subnet.Broadcast };
        uint? wanted = null;
        if (staticIp is not null)
        {
            if (!Ipv4.TryParse(staticIp, out var address) || !subnet.Contains(address) || skip.Contains(address))
            {
                throw new IpAllocationException($"{staticIp} cannot be used in {subnet} (pick a host address other than the network, gateway and broadcast)");
            }

            wanted = address;
        }

        return InTransaction(() =>
        {
            var leases = Db.GetCollection(LeasesCollection);
            // One pass over the (small) collection finds both the session's own lease and the taken addresses: a
            // FindOne by session parsed and compiled a query expression, ~0.5 ms in a fresh process.
            var all = leases.FindAll().ToList();
            if (all.Find(d => d["session"].AsString == sessionId) is { } held)
            {
                return ToLease(held);
            }

            var taken = all.Select(d => d["_id"].AsString).ToHashSet(StringComparer.Ordinal);
            uint chosen;
            if (wanted is { } w)
            {
                var ip = Ipv4.Format(w);
                if (taken.Contains(ip))
                {
                    var owner = leases.FindById(ip)["session"].AsString;
                    throw new IpAllocationException($"{ip} is already leased to session {owner} (pick another network.ip, or stop that session)");
                }

                chosen = w;
            }
            else
            {
                chosen = FirstFree(subnet, skip, taken)
                    ?? throw new IpAllocationException($"no free address left in {subnet} ({taken.Count} leased); stop some sessions or run `devshell gc`");
            }

            var document = new BsonDocument
            {
                ["_id"] = Ipv4.Format(chosen),
                ["session"] = sessionId,
                ["subnet"] = subnet.ToString(),
                ["allocated"] = Now().Ticks,
            };
            leases.Insert(document);
            return ToLease(document);
        });
    }

    /// <summary>Releases the session's lease; returns false if it had none.</summary>
    public bool ReleaseIp(string sessionId)
    {
        return Locked(() => DropLease(sessionId) > 0);
    }

    /// <summary>Every lease, in address order.</summary>
    public IReadOnlyList<IpLease> ListLeases()
    {
        return Locked(() => Db.GetCollection(LeasesCollection).FindAll().Select(ToLease)
                .OrderBy(l => Ipv4.TryParse(l.Ip, out var a) ? a : 0).ToList());
    }

    private static uint? FirstFree(Ipv4Cidr subnet, HashSet<uint> skip, HashSet<string> taken)
    {
        for (var address = subnet.Network; address <= subnet.Broadcast && address >= subnet.Network; address++)
        {
            if (!skip.Contains(address) && !taken.Contains(Ipv4.Format(address)))
            {
                return address;
            }

            if (address == uint.MaxValue)
            {
                break;
            }
        }

        return null;
    }

    private static IpLease ToLease(BsonDocument d) =>
        new(d["_id"].AsString, d["session"].AsString, d["subnet"].AsString, new DateTime(d["allocated"].AsInt64, DateTimeKind.Utc));
}
