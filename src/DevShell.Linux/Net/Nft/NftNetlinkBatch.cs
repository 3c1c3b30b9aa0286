using System.Buffers.Binary;
using System.Text;
using DevShell.Core.Networking;
using DevShell.Linux.Interop;
using DevShell.Linux.Net.Rtnetlink;

namespace DevShell.Linux.Net.Nft;

/// <summary>
/// Applies a list of <see cref="NftOp"/> to an inet table as ONE nf_tables transaction over nfnetlink
/// (NFNL_MSG_BATCH_BEGIN ... END), without libnftables.
/// <para>
/// Why: a per-env batch through libnftables first lists the host's whole ruleset into a cache, and that cache
/// allocates four 128 KiB hash tables per table of the host; in a short-lived process every one of them is fresh
/// memory, so the first two batches of a devshell process cost 20-30 ms on this VM (page faults), however small the
/// batch. The messages here are what libnftables itself sends for these commands (checked by
/// NftNetlinkBatchTests: the same ops applied both ways list identically), so an env's objects are the same
/// whichever path made them; the base chains and every listing still go through libnftables.
/// </para>
/// <para>
/// Encoding (linux/netfilter/nf_tables.h; all integer attributes big-endian): each rule is the expression list nft
/// generates — "ip daddr" in an inet table is preceded by "meta nfproto ipv4", a byte-aligned prefix loads only its
/// bytes, another prefix loads 4 and masks them, "tcp dport" is preceded by "meta l4proto"; an interface name is
/// compared over all 16 bytes; a named counter is an objref; element comments are libnftnl user data (type 0,
/// length, text with its NUL).
/// </para>
/// </summary>
internal static class NftNetlinkBatch
{
    private const ushort NFNL_MSG_BATCH_BEGIN = 0x10, NFNL_MSG_BATCH_END = 0x11;
    private const ushort NFT_MSG_NEWCHAIN = 3, NFT_MSG_DELCHAIN = 5, NFT_MSG_NEWRULE = 6, NFT_MSG_DELRULE = 8,
        NFT_MSG_NEWSETELEM = 12, NFT_MSG_DELSETELEM = 14, NFT_MSG_NEWOBJ = 18, NFT_MSG_DELOBJ = 20;
    private const ushort NLM_F_APPEND = 0x800;

    // Attributes.
    private const ushort NFTA_CHAIN_TABLE = 1, NFTA_CHAIN_NAME = 3;
    private const ushort NFTA_RULE_TABLE = 1, NFTA_RULE_CHAIN = 2, NFTA_RULE_EXPRESSIONS = 4;
    private const ushort NFTA_LIST_ELEM = 1, NFTA_EXPR_NAME = 1, NFTA_EXPR_DATA = 2;
    private const ushort NFTA_META_DREG = 1, NFTA_META_KEY = 2;
    private const ushort NFTA_PAYLOAD_DREG = 1, NFTA_PAYLOAD_BASE = 2, NFTA_PAYLOAD_OFFSET = 3, NFTA_PAYLOAD_LEN = 4;
    private const ushort NFTA_CMP_SREG = 1, NFTA_CMP_OP = 2, NFTA_CMP_DATA = 3;
    private const ushort NFTA_BITWISE_SREG = 1, NFTA_BITWISE_DREG = 2, NFTA_BITWISE_LEN = 3, NFTA_BITWISE_MASK = 4, NFTA_BITWISE_XOR = 5;
    private const ushort NFTA_IMMEDIATE_DREG = 1, NFTA_IMMEDIATE_DATA = 2;
    private const ushort NFTA_OBJREF_IMM_TYPE = 1, NFTA_OBJREF_IMM_NAME = 2;
    private const ushort NFTA_DATA_VALUE = 1, NFTA_DATA_VERDICT = 2, NFTA_VERDICT_CODE = 1, NFTA_VERDICT_CHAIN = 2;
    private const ushort NFTA_SET_ELEM_LIST_TABLE = 1, NFTA_SET_ELEM_LIST_SET = 2, NFTA_SET_ELEM_LIST_ELEMENTS = 3;
    private const ushort NFTA_SET_ELEM_KEY = 1, NFTA_SET_ELEM_DATA = 2, NFTA_SET_ELEM_USERDATA = 6;
    private const ushort NFTA_OBJ_TABLE = 1, NFTA_OBJ_NAME = 2, NFTA_OBJ_TYPE = 3, NFTA_OBJ_DATA = 4;

    // Values.
    private const uint NFT_REG_VERDICT = 0, NFT_REG_1 = 1, NFT_CMP_EQ = 0;
    private const uint NFT_META_OIFNAME = 7, NFT_META_NFPROTO = 15, NFT_META_L4PROTO = 16;
    private const uint NFT_PAYLOAD_NETWORK_HEADER = 1, NFT_PAYLOAD_TRANSPORT_HEADER = 2;
    private const uint NF_DROP = 0, NF_ACCEPT = 1, NFT_JUMP = unchecked((uint)-3);
    private const byte NFPROTO_IPV4 = 2, IPPROTO_TCP = 6, IPPROTO_UDP = 17;
    private const int IFNAMSIZ = 16;

    /// <summary>
    /// Applies <paramref name="ops"/> to table inet <paramref name="table"/> atomically (all or nothing), in the
    /// calling thread's network namespace. Throws <see cref="NftException"/> naming the operation the kernel refused.
    /// </summary>
    public static void Apply(string table, IReadOnlyList<NftOp> ops, string what)
    {
        if (ops.Count == 0)
        {
            return;
        }

        using NetlinkSocket socket = NetlinkSocket.Open(Rtnl.NETLINK_NETFILTER);
        uint first = socket.ReserveSeq(ops.Count + 2);
        var batch = new List<byte>(256 * (ops.Count + 2));
        var acked = new HashSet<uint>();
        Append(batch, Control(NFNL_MSG_BATCH_BEGIN), first, 0);
        for (int i = 0; i < ops.Count; i++)
        {
            uint seq = first + 1 + (uint)i;
            (NetlinkWriter message, ushort flags) = Encode(table, ops[i]);
            Append(batch, message, seq, (ushort)(flags | Rtnl.NLM_F_ACK));
            acked.Add(seq);
        }

        Append(batch, Control(NFNL_MSG_BATCH_END), first + 1 + (uint)ops.Count, 0);
        int errno = socket.TrySendBatch(batch.ToArray(), acked, out uint failedSeq, out string? detail);
        if (errno == 0)
        {
            return;
        }

        long index = (long)failedSeq - first - 1;
        string command = index >= 0 && index < ops.Count ? NftOps.Text(table, [ops[(int)index]]).TrimEnd() : "the batch";
        string reason = $"{System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)} ({Errno.Name(errno)})";
        throw new NftException($"{what}: nft failed: {command}: {reason}{(detail is null ? "" : $" (kernel: {detail})")}")
        {
            NftOutput = $"{command}: {reason}",
        };
    }

    private static NetlinkWriter Control(ushort type)
    {
        var m = new NetlinkWriter(type, 0);
        m.Write(new NfGenMsg { Family = Rtnl.AF_UNSPEC, Version = Rtnl.NFNETLINK_V0, ResId = BinaryPrimitives.ReverseEndianness((ushort)Rtnl.NFNL_SUBSYS_NFTABLES) });
        return m;
    }

    private static void Append(List<byte> batch, NetlinkWriter message, uint seq, ushort flags) =>
        batch.AddRange(message.Finish(seq, (ushort)(Rtnl.NLM_F_REQUEST | flags)));

    private static NetlinkWriter Message(ushort type)
    {
        var m = new NetlinkWriter((ushort)((Rtnl.NFNL_SUBSYS_NFTABLES << 8) | type), 0);
        m.Write(new NfGenMsg { Family = Rtnl.NFPROTO_INET, Version = Rtnl.NFNETLINK_V0 });
        return m;
    }

    private static (NetlinkWriter Message, ushort Flags) Encode(string table, NftOp op)
    {
        NetlinkWriter m;
        switch (op)
        {
            case AddCounterOp o:
                m = Message(NFT_MSG_NEWOBJ);
                Object(m, table, o.Name);
                int data = m.BeginNested(NFTA_OBJ_DATA);
                m.AttrBe64(Rtnl.NFTA_COUNTER_BYTES, 0);
                m.AttrBe64(Rtnl.NFTA_COUNTER_PACKETS, 0);
                m.EndNested(data);
                return (m, Rtnl.NLM_F_CREATE);
            case DeleteCounterOp o:
                m = Message(NFT_MSG_DELOBJ);
                Object(m, table, o.Name);
                return (m, 0);
            case AddChainOp o:
                m = Message(NFT_MSG_NEWCHAIN);
                m.AttrString(NFTA_CHAIN_TABLE, table);
                m.AttrString(NFTA_CHAIN_NAME, o.Name);
                return (m, Rtnl.NLM_F_CREATE);
            case DeleteChainOp o:
                m = Message(NFT_MSG_DELCHAIN);
                m.AttrString(NFTA_CHAIN_TABLE, table);
                m.AttrString(NFTA_CHAIN_NAME, o.Name);
                return (m, 0);
            case FlushChainOp o:
                m = Message(NFT_MSG_DELRULE); // no handle: every rule of the chain
                m.AttrString(NFTA_RULE_TABLE, table);
                m.AttrString(NFTA_RULE_CHAIN, o.Name);
                return (m, 0);
            case AddRuleOp o:
                m = Message(NFT_MSG_NEWRULE);
                m.AttrString(NFTA_RULE_TABLE, table);
                m.AttrString(NFTA_RULE_CHAIN, o.Chain);
                int list = m.BeginNested(NFTA_RULE_EXPRESSIONS);
                Rule(m, o.Rule);
                m.EndNested(list);
                return (m, (ushort)(Rtnl.NLM_F_CREATE | NLM_F_APPEND));
            case AddEgressElementOp o:
                m = Element(NFT_MSG_NEWSETELEM, table, "egress", Address(o.Address), value: null, verdictJump: o.Chain, o.Comment);
                return (m, Rtnl.NLM_F_CREATE);
            case DeleteEgressElementOp o:
                return (Element(NFT_MSG_DELSETELEM, table, "egress", Address(o.Address), null, null, null), 0);
            case AddPublishedElementOp o:
                m = Element(NFT_MSG_NEWSETELEM, table, "published", ProtoPort(o.Protocol, o.HostPort), AddressPort(o.Address, o.EnvPort), null, o.Comment);
                return (m, Rtnl.NLM_F_CREATE);
            case DeletePublishedElementOp o:
                return (Element(NFT_MSG_DELSETELEM, table, "published", ProtoPort(o.Protocol, o.HostPort), null, null, null), 0);
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "unknown operation");
        }
    }

    private static void Object(NetlinkWriter m, string table, string name)
    {
        m.AttrString(NFTA_OBJ_TABLE, table);
        m.AttrString(NFTA_OBJ_NAME, name);
        m.AttrBe32(NFTA_OBJ_TYPE, Rtnl.NFT_OBJECT_COUNTER);
    }

    private static NetlinkWriter Element(ushort type, string table, string set, byte[] key, byte[]? value, string? verdictJump, string? comment)
    {
        NetlinkWriter m = Message(type);
        m.AttrString(NFTA_SET_ELEM_LIST_TABLE, table);
        m.AttrString(NFTA_SET_ELEM_LIST_SET, set);
        int elements = m.BeginNested(NFTA_SET_ELEM_LIST_ELEMENTS);
        int element = m.BeginNested(NFTA_LIST_ELEM);
        Data(m, NFTA_SET_ELEM_KEY, key);
        if (value is not null)
        {
            Data(m, NFTA_SET_ELEM_DATA, value);
        }
        else if (verdictJump is not null)
        {
            int data = m.BeginNested(NFTA_SET_ELEM_DATA);
            Verdict(m, NFT_JUMP, verdictJump);
            m.EndNested(data);
        }

        if (comment is not null)
        {
            // libnftnl user data: type NFTNL_UDATA_SET_ELEM_COMMENT (0), length, the text with its NUL.
            byte[] text = Encoding.UTF8.GetBytes(comment + "\0");
            if (text.Length > byte.MaxValue)
            {
                throw new ArgumentException($"element comment \"{comment}\" is too long", nameof(comment));
            }

            m.Attr(NFTA_SET_ELEM_USERDATA, [0, (byte)text.Length, .. text]);
        }

        m.EndNested(element);
        m.EndNested(elements);
        return m;
    }

    private static void Rule(NetlinkWriter m, NftRule rule)
    {
        foreach (NftMatch match in rule.Matches)
        {
            switch (match)
            {
                case OifNameMatch o:
                    byte[] name = new byte[IFNAMSIZ];
                    int n = Encoding.UTF8.GetBytes(o.Name, name);
                    if (n >= IFNAMSIZ)
                    {
                        throw new ArgumentException($"interface name \"{o.Name}\" is longer than {IFNAMSIZ - 1} bytes");
                    }

                    Meta(m, NFT_META_OIFNAME);
                    Cmp(m, name);
                    break;
                case DaddrMatch d:
                    Meta(m, NFT_META_NFPROTO);
                    Cmp(m, [NFPROTO_IPV4]);
                    byte[] network = Address(d.Network.Network);
                    int prefix = d.Network.PrefixLength;
                    if (prefix is 8 or 16 or 24 or 32)
                    {
                        Payload(m, NFT_PAYLOAD_NETWORK_HEADER, 16, prefix / 8);
                        Cmp(m, network[..(prefix / 8)]);
                    }
                    else
                    {
                        Payload(m, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
                        Bitwise(m, Address(d.Network.Mask));
                        Cmp(m, network);
                    }

                    break;
                case DportMatch p:
                    Meta(m, NFT_META_L4PROTO);
                    Cmp(m, [p.Protocol == Protocol.Udp ? IPPROTO_UDP : IPPROTO_TCP]);
                    Payload(m, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
                    Cmp(m, [(byte)(p.Port >> 8), (byte)p.Port]);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(rule), match, "unknown match");
            }
        }

        if (rule.Counter is string counter)
        {
            int e = Expr(m, "objref", out int d);
            m.AttrBe32(NFTA_OBJREF_IMM_TYPE, Rtnl.NFT_OBJECT_COUNTER);
            m.AttrString(NFTA_OBJREF_IMM_NAME, counter);
            End(m, e, d);
        }

        int imm = Expr(m, "immediate", out int immData);
        m.AttrBe32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
        int value = m.BeginNested(NFTA_IMMEDIATE_DATA);
        Verdict(m, rule.Accept ? NF_ACCEPT : NF_DROP, null);
        m.EndNested(value);
        End(m, imm, immData);
    }

    private static void Meta(NetlinkWriter m, uint key)
    {
        int e = Expr(m, "meta", out int d);
        m.AttrBe32(NFTA_META_KEY, key);
        m.AttrBe32(NFTA_META_DREG, NFT_REG_1);
        End(m, e, d);
    }

    private static void Payload(NetlinkWriter m, uint @base, uint offset, int length)
    {
        int e = Expr(m, "payload", out int d);
        m.AttrBe32(NFTA_PAYLOAD_DREG, NFT_REG_1);
        m.AttrBe32(NFTA_PAYLOAD_BASE, @base);
        m.AttrBe32(NFTA_PAYLOAD_OFFSET, offset);
        m.AttrBe32(NFTA_PAYLOAD_LEN, (uint)length);
        End(m, e, d);
    }

    private static void Bitwise(NetlinkWriter m, byte[] mask)
    {
        int e = Expr(m, "bitwise", out int d);
        m.AttrBe32(NFTA_BITWISE_SREG, NFT_REG_1);
        m.AttrBe32(NFTA_BITWISE_DREG, NFT_REG_1);
        m.AttrBe32(NFTA_BITWISE_LEN, (uint)mask.Length);
        Data(m, NFTA_BITWISE_MASK, mask);
        Data(m, NFTA_BITWISE_XOR, new byte[mask.Length]);
        End(m, e, d);
    }

    private static void Cmp(NetlinkWriter m, byte[] value)
    {
        int e = Expr(m, "cmp", out int d);
        m.AttrBe32(NFTA_CMP_SREG, NFT_REG_1);
        m.AttrBe32(NFTA_CMP_OP, NFT_CMP_EQ);
        Data(m, NFTA_CMP_DATA, value);
        End(m, e, d);
    }

    private static void Verdict(NetlinkWriter m, uint code, string? chain)
    {
        int verdict = m.BeginNested(NFTA_DATA_VERDICT);
        m.AttrBe32(NFTA_VERDICT_CODE, code);
        if (chain is not null)
        {
            m.AttrString(NFTA_VERDICT_CHAIN, chain);
        }

        m.EndNested(verdict);
    }

    /// <summary>Attribute <paramref name="type"/> holding { NFTA_DATA_VALUE: <paramref name="value"/> }.</summary>
    private static void Data(NetlinkWriter m, ushort type, byte[] value)
    {
        int nest = m.BeginNested(type);
        m.Attr(NFTA_DATA_VALUE, value);
        m.EndNested(nest);
    }

    private static int Expr(NetlinkWriter m, string name, out int data)
    {
        int elem = m.BeginNested(NFTA_LIST_ELEM);
        m.AttrString(NFTA_EXPR_NAME, name);
        data = m.BeginNested(NFTA_EXPR_DATA);
        return elem;
    }

    private static void End(NetlinkWriter m, int elem, int data)
    {
        m.EndNested(data);
        m.EndNested(elem);
    }

    private static byte[] Address(uint address) =>
        [(byte)(address >> 24), (byte)(address >> 16), (byte)(address >> 8), (byte)address];

    /// <summary>inet_proto . inet_service: each field in its own 4-byte register slot.</summary>
    private static byte[] ProtoPort(Protocol protocol, int port) =>
        [protocol == Protocol.Udp ? IPPROTO_UDP : IPPROTO_TCP, 0, 0, 0, (byte)(port >> 8), (byte)port, 0, 0];

    /// <summary>ipv4_addr . inet_service.</summary>
    private static byte[] AddressPort(uint address, int port) =>
        [.. Address(address), (byte)(port >> 8), (byte)port, 0, 0];
}
