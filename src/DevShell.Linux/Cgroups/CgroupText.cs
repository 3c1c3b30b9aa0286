namespace DevShell.Linux.Cgroups;

/// <summary>
/// Allocation-free parsers for the cgroup file formats (ASCII, one value, "key value" lines, io.stat and blkio
/// tables). Everything works on the raw bytes a pread returned.
/// </summary>
internal static class CgroupText
{
    /// <summary>v1 reports "no limit" as PAGE_COUNTER_MAX pages, 9223372036854771712 on x86_64; anything this
    /// large is unlimited.</summary>
    private const long V1Unlimited = 1L << 62;

    /// <summary>Parses a decimal integer, allowing surrounding whitespace and a leading '-'.</summary>
    public static bool TryParseLong(ReadOnlySpan<byte> s, out long value)
    {
        s = Trim(s);
        value = 0;
        if (s.IsEmpty)
        {
            return false;
        }

        bool negative = s[0] == (byte)'-';
        if (negative)
        {
            s = s[1..];
            if (s.IsEmpty)
            {
                return false;
            }
        }

        long v = 0;
        foreach (byte b in s)
        {
            uint d = (uint)(b - '0');
            if (d > 9)
            {
                return false;
            }

            if (v > (long.MaxValue - d) / 10)
            {
                return false;
            }

            v = (v * 10) + d;
        }

        value = negative ? -v : v;
        return true;
    }

    /// <summary>A single-number file: "12345\n".</summary>
    public static long? ParseSingle(ReadOnlySpan<byte> s) => TryParseLong(s, out long v) ? v : null;

    /// <summary>
    /// A limit file: "max" (v2), -1 (v1 cfs quota) or the v1 page-counter maximum mean unlimited, which is
    /// returned as null; <paramref name="ok"/> is false when the content is not a limit at all.
    /// </summary>
    public static long? ParseLimit(ReadOnlySpan<byte> s, out bool ok)
    {
        s = Trim(s);
        ok = true;
        if (s.SequenceEqual("max"u8))
        {
            return null;
        }

        if (!TryParseLong(s, out long v))
        {
            ok = false;
            return null;
        }

        return v < 0 || v >= V1Unlimited ? null : v;
    }

    /// <summary>
    /// The value of <paramref name="key"/> in a flat-keyed file ("key value" per line: cpu.stat, memory.events,
    /// pids.events, memory.oom_control). The key must match the whole first token.
    /// </summary>
    public static long? FindKeyed(ReadOnlySpan<byte> content, ReadOnlySpan<byte> key)
    {
        while (!content.IsEmpty)
        {
            int nl = content.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = nl < 0 ? content : content[..nl];
            content = nl < 0 ? default : content[(nl + 1)..];
            if (line.Length > key.Length && line.StartsWith(key) && line[key.Length] == (byte)' ')
            {
                return TryParseLong(line[(key.Length + 1)..], out long v) ? v : null;
            }
        }

        return null;
    }

    /// <summary>
    /// v2 cpu.max: "max 100000" or "50000 100000" as a quota in millicores (null when unlimited).
    /// </summary>
    public static long? ParseCpuMax(ReadOnlySpan<byte> content)
    {
        content = Trim(content);
        int sp = content.IndexOf((byte)' ');
        ReadOnlySpan<byte> quota = sp < 0 ? content : content[..sp];
        long period = CgroupLimits.CpuPeriodMicros;
        if (sp >= 0 && (!TryParseLong(content[(sp + 1)..], out period) || period <= 0))
        {
            return null;
        }

        return TryParseLong(quota, out long q) && q > 0 ? Millicores(q, period) : null;
    }

    /// <summary>Quota/period in microseconds as millicores.</summary>
    public static long? Millicores(long quotaMicros, long periodMicros) =>
        quotaMicros > 0 && periodMicros > 0 ? quotaMicros * 1000 / periodMicros : null;

    /// <summary>
    /// v2 io.stat: one line per device, "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0"; the sum of
    /// rbytes and wbytes over all devices. An empty file (no IO yet) is 0.
    /// </summary>
    public static long SumIoStat(ReadOnlySpan<byte> content)
    {
        long total = 0;
        while (!content.IsEmpty)
        {
            int nl = content.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = nl < 0 ? content : content[..nl];
            content = nl < 0 ? default : content[(nl + 1)..];
            while (!line.IsEmpty)
            {
                int sp = line.IndexOf((byte)' ');
                ReadOnlySpan<byte> token = sp < 0 ? line : line[..sp];
                line = sp < 0 ? default : line[(sp + 1)..];
                if ((token.StartsWith("rbytes="u8) || token.StartsWith("wbytes="u8))
                    && TryParseLong(token[7..], out long v))
                {
                    total += v;
                }
            }
        }

        return total;
    }

    /// <summary>
    /// v1 blkio.throttle.io_service_bytes[_recursive]: "8:0 Read 4096", "8:0 Write 0", ..., then "Total N".
    /// Returns the final Total; without one, the sum of the per-device Read and Write lines.
    /// </summary>
    public static long SumBlkio(ReadOnlySpan<byte> content)
    {
        long sum = 0;
        while (!content.IsEmpty)
        {
            int nl = content.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = nl < 0 ? content : content[..nl];
            content = nl < 0 ? default : content[(nl + 1)..];
            if (line.StartsWith("Total "u8))
            {
                return TryParseLong(line[6..], out long total) ? total : sum;
            }

            int sp = line.IndexOf((byte)' ');
            if (sp < 0)
            {
                continue;
            }

            ReadOnlySpan<byte> rest = line[(sp + 1)..];
            if (rest.StartsWith("Read "u8) && TryParseLong(rest[5..], out long r))
            {
                sum += r;
            }
            else if (rest.StartsWith("Write "u8) && TryParseLong(rest[6..], out long w))
            {
                sum += w;
            }
        }

        return sum;
    }

    /// <summary>Adds the pids of a cgroup.procs text (one per line) to <paramref name="into"/>.</summary>
    public static void AddPids(string? procs, ISet<int> into)
    {
        if (procs is null)
        {
            return;
        }

        foreach (string line in procs.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(line, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid) && pid > 0)
            {
                into.Add(pid);
            }
        }
    }

    /// <summary>Space-separated words (cgroup.controllers, cgroup.subtree_control).</summary>
    public static HashSet<string> Words(string? text) =>
        text is null
            ? new HashSet<string>(StringComparer.Ordinal)
            : new HashSet<string>(text.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
    {
        int start = 0;
        while (start < s.Length && IsSpace(s[start]))
        {
            start++;
        }

        int end = s.Length;
        while (end > start && IsSpace(s[end - 1]))
        {
            end--;
        }

        return s[start..end];
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\n' or (byte)'\t' or (byte)'\r' or 0;
}
