using DevShell.Linux.Interop;
using Tmds.Linux;

namespace DevShell.Linux.Cgroups;

/// <summary>
/// Reads a group's usage files. With keepOpen the files stay open and each reading is one pread at offset 0 per
/// file (the kernel regenerates the content), so sampling many groups every second costs no opens, no
/// allocations and no parsing beyond a few bytes. Not thread-safe; dispose to close the files.
/// </summary>
public sealed class CgroupUsageReader : IDisposable
{
    private const int NotOpened = -1;
    private const int Absent = -2;

    private readonly string?[] _paths = new string?[(int)Source.Count];
    private readonly int[] _fds = new int[(int)Source.Count];
    private readonly bool _keepOpen;
    private byte[] _buffer = new byte[2048];
    private bool _disposed;
    private int _readings;
    private long? _cpuLimit, _memLimit, _pidsLimit;

    private CgroupUsageReader(CgroupHandle handle, bool keepOpen)
    {
        _keepOpen = keepOpen;
        Array.Fill(_fds, NotOpened);
        Handle = handle;
        if (handle.Version == CgroupVersion.V2)
        {
            string dir = handle.Directories.Count > 0 ? handle.Directories[0] : throw new ArgumentException("cgroup handle has no directory", nameof(handle));
            Set(Source.CpuStat, dir, "cpu.stat");
            Set(Source.CpuMax, dir, "cpu.max");
            Set(Source.MemCurrent, dir, "memory.current");
            Set(Source.MemPeak, dir, "memory.peak");
            Set(Source.MemLimit, dir, "memory.max");
            Set(Source.MemEvents, dir, "memory.events");
            Set(Source.PidsCurrent, dir, "pids.current");
            Set(Source.PidsMax, dir, "pids.max");
            Set(Source.PidsEvents, dir, "pids.events");
            Set(Source.IoStat, dir, "io.stat");
        }
        else
        {
            string? cpu = handle.Paths.GetValueOrDefault("cpu");
            string? cpuacct = handle.Paths.GetValueOrDefault("cpuacct");
            string? memory = handle.Paths.GetValueOrDefault("memory");
            string? pids = handle.Paths.GetValueOrDefault("pids");
            string? blkio = handle.Paths.GetValueOrDefault("blkio");
            Set(Source.CpuAcctUsage, cpuacct, "cpuacct.usage");
            Set(Source.CpuStat, cpu, "cpu.stat");
            Set(Source.CfsQuota, cpu, "cpu.cfs_quota_us");
            Set(Source.CfsPeriod, cpu, "cpu.cfs_period_us");
            Set(Source.MemCurrent, memory, "memory.usage_in_bytes");
            Set(Source.MemPeak, memory, "memory.max_usage_in_bytes");
            Set(Source.MemLimit, memory, "memory.limit_in_bytes");
            Set(Source.MemFailcnt, memory, "memory.failcnt");
            Set(Source.MemswFailcnt, memory, "memory.memsw.failcnt");
            Set(Source.MemOomControl, memory, "memory.oom_control");
            Set(Source.PidsCurrent, pids, "pids.current");
            Set(Source.PidsMax, pids, "pids.max");
            Set(Source.PidsEvents, pids, "pids.events");
            if (blkio is not null)
            {
                // The recursive variant also counts IO of subgroups the environment made itself.
                string recursive = Path.Join(blkio, "blkio.throttle.io_service_bytes_recursive");
                _paths[(int)Source.Blkio] = File.Exists(recursive) ? recursive : Path.Join(blkio, "blkio.throttle.io_service_bytes");
            }
        }
    }

    private enum Source
    {
        CpuStat,
        CpuAcctUsage,
        CpuMax,
        CfsQuota,
        CfsPeriod,
        MemCurrent,
        MemPeak,
        MemLimit,
        MemEvents,
        MemFailcnt,
        MemswFailcnt,
        MemOomControl,
        PidsCurrent,
        PidsMax,
        PidsEvents,
        IoStat,
        Blkio,
        Count,
    }

    private enum Status
    {
        Ok,
        Absent,
        Gone,
    }

    public CgroupHandle Handle { get; }

    /// <summary>
    /// Limits change only when someone edits them, so they are re-read on the first reading and then every this
    /// many readings (each file read costs a syscall of ~5 µs on a VM). 1 reads them every time.
    /// </summary>
    public int LimitRefreshInterval { get; private init; } = 10;

    /// <summary>Opens a reader; with <paramref name="keepOpen"/> the files stay open between readings.</summary>
    /// <param name="handle">The group.</param>
    /// <param name="keepOpen">Keep the files open between readings (for sampling).</param>
    /// <param name="limitRefreshInterval">See <see cref="LimitRefreshInterval"/>.</param>
    public static CgroupUsageReader Open(CgroupHandle handle, bool keepOpen = true, int limitRefreshInterval = 10)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitRefreshInterval);
        return new CgroupUsageReader(handle, keepOpen) { LimitRefreshInterval = limitRefreshInterval };
    }

    /// <summary>
    /// Reads every usage file once. False when the group is gone (removed, or its files vanished) or nothing
    /// could be read; files this host does not have leave their fields null.
    /// </summary>
    public bool TryRead(out CgroupUsage usage)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        usage = default;
        int ok = 0;
        bool gone = false;
        bool v2 = Handle.Version == CgroupVersion.V2;

        long? cpuNs = null, periods = null, throttled = null, throttledNs = null;
        long? memCurrent = null, memPeak = null, oomKills = null, memHits = null;
        long? pidsCurrent = null, pidsHits = null, io = null;

        if (Read(Source.CpuStat, ref ok, ref gone, out ReadOnlySpan<byte> s))
        {
            periods = CgroupText.FindKeyed(s, "nr_periods"u8);
            throttled = CgroupText.FindKeyed(s, "nr_throttled"u8);
            if (v2)
            {
                cpuNs = CgroupText.FindKeyed(s, "usage_usec"u8) * 1000;
                throttledNs = CgroupText.FindKeyed(s, "throttled_usec"u8) * 1000;
            }
            else
            {
                throttledNs = CgroupText.FindKeyed(s, "throttled_time"u8);
            }
        }

        if (Read(Source.CpuAcctUsage, ref ok, ref gone, out s))
        {
            cpuNs = CgroupText.ParseSingle(s);
        }

        if (Read(Source.MemCurrent, ref ok, ref gone, out s))
        {
            memCurrent = CgroupText.ParseSingle(s);
        }

        if (Read(Source.MemPeak, ref ok, ref gone, out s))
        {
            memPeak = CgroupText.ParseSingle(s);
        }

        if (Read(Source.MemEvents, ref ok, ref gone, out s))
        {
            memHits = CgroupText.FindKeyed(s, "max"u8);
            oomKills = CgroupText.FindKeyed(s, "oom_kill"u8);
        }

        if (Read(Source.MemFailcnt, ref ok, ref gone, out s))
        {
            memHits = CgroupText.ParseSingle(s);
        }

        // With a memory+swap limit the kernel charges memsw first, and a charge refused there is not a
        // memory.failcnt. Older kernels count it in memory.memsw.failcnt; Linux 6.18 (measured here) counts it
        // nowhere, which is why the v1 driver writes no redundant memsw limit. Together they are the hits.
        if (Read(Source.MemswFailcnt, ref ok, ref gone, out s) && CgroupText.ParseSingle(s) is { } memswHits)
        {
            memHits = (memHits ?? 0) + memswHits;
        }

        if (Read(Source.MemOomControl, ref ok, ref gone, out s))
        {
            // Kernels before 4.13 have no oom_kill line; under_oom is all they offer.
            oomKills = CgroupText.FindKeyed(s, "oom_kill"u8);
        }

        if (Read(Source.PidsCurrent, ref ok, ref gone, out s))
        {
            pidsCurrent = CgroupText.ParseSingle(s);
        }

        if (Read(Source.PidsEvents, ref ok, ref gone, out s))
        {
            pidsHits = CgroupText.FindKeyed(s, "max"u8);
        }

        if (Read(Source.IoStat, ref ok, ref gone, out s))
        {
            io = CgroupText.SumIoStat(s);
        }

        if (Read(Source.Blkio, ref ok, ref gone, out s))
        {
            io = CgroupText.SumBlkio(s);
        }

        if (_readings++ % LimitRefreshInterval == 0)
        {
            ReadLimits(ref ok, ref gone);
        }

        if (gone || ok == 0)
        {
            _readings = 0; // a group that comes back (same name) gets its limits read afresh
            return false;
        }

        usage = new CgroupUsage(
            cpuNs, memCurrent, memPeak, _memLimit, pidsCurrent, _pidsLimit, io, _cpuLimit,
            oomKills, memHits, pidsHits, periods, throttled, throttledNs);
        return true;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        for (int i = 0; i < _fds.Length; i++)
        {
            if (_fds[i] >= 0)
            {
                Sys.Close(_fds[i]);
            }

            _fds[i] = NotOpened;
        }
    }

    private void ReadLimits(ref int ok, ref bool gone)
    {
        _cpuLimit = _memLimit = _pidsLimit = null;
        if (Read(Source.CpuMax, ref ok, ref gone, out ReadOnlySpan<byte> s))
        {
            _cpuLimit = CgroupText.ParseCpuMax(s);
        }

        if (Read(Source.CfsQuota, ref ok, ref gone, out s) && CgroupText.ParseSingle(s) is { } quota
            && Read(Source.CfsPeriod, ref ok, ref gone, out s) && CgroupText.ParseSingle(s) is { } period)
        {
            _cpuLimit = CgroupText.Millicores(quota, period);
        }

        if (Read(Source.MemLimit, ref ok, ref gone, out s))
        {
            _memLimit = CgroupText.ParseLimit(s, out _);
        }

        if (Read(Source.PidsMax, ref ok, ref gone, out s))
        {
            _pidsLimit = CgroupText.ParseLimit(s, out _);
        }
    }

    private void Set(Source source, string? dir, string file)
    {
        if (dir is not null)
        {
            _paths[(int)source] = Path.Join(dir, file);
        }
    }

    private bool Read(Source source, ref int ok, ref bool gone, out ReadOnlySpan<byte> content)
    {
        content = default;
        if (gone)
        {
            return false;
        }

        switch (ReadFile(source, out content))
        {
            case Status.Ok:
                ok++;
                return true;
            case Status.Gone:
                gone = true;
                return false;
            default:
                return false;
        }
    }

    private Status ReadFile(Source source, out ReadOnlySpan<byte> content)
    {
        content = default;
        int i = (int)source;
        string? path = _paths[i];
        if (path is null || _fds[i] == Absent)
        {
            return Status.Absent;
        }

        int fd = _fds[i];
        if (fd == NotOpened)
        {
            fd = Sys.TryOpen(path, LibC.O_RDONLY, out int errno);
            if (fd < 0)
            {
                // A missing file in an existing group is a feature this host lacks: stop asking. A missing
                // directory means the group is gone.
                if (errno == Errno.ENOENT && Directory.Exists(Path.GetDirectoryName(path)))
                {
                    _fds[i] = Absent;
                    return Status.Absent;
                }

                return Status.Gone;
            }

            if (_keepOpen)
            {
                _fds[i] = fd;
            }
        }

        try
        {
            while (true)
            {
                int n = Sys.TryPread(fd, _buffer, 0, out _);
                if (n < 0)
                {
                    // ENODEV: the cgroup was removed while the file was open.
                    return Status.Gone;
                }

                if (n < _buffer.Length)
                {
                    content = _buffer.AsSpan(0, n);
                    return Status.Ok;
                }

                _buffer = new byte[_buffer.Length * 2];
            }
        }
        finally
        {
            if (!_keepOpen)
            {
                Sys.Close(fd);
            }
        }
    }
}
