namespace DevShell.Core.Presenters;

/// <summary>The columns of the running-environments table.</summary>
public enum RunningColumn
{
    /// <summary>Session id.</summary>
    Session,

    /// <summary>Profile name.</summary>
    Profile,

    /// <summary>Bridge IPv4 address.</summary>
    Ip,

    /// <summary>Time since start.</summary>
    Uptime,

    /// <summary>CPU percent with a sparkline.</summary>
    Cpu,

    /// <summary>Memory used/limit with a sparkline.</summary>
    Memory,

    /// <summary>Pids used/limit.</summary>
    Pids,

    /// <summary>Network receive and send rates.</summary>
    Net,
}

/// <summary>Which columns fit, how wide the sparklines are, how long a session id may be.</summary>
/// <param name="Columns">Columns in display order.</param>
/// <param name="SparkWidth">Cells per sparkline.</param>
/// <param name="SessionWidth">Longest session id shown before it is cut with "…".</param>
/// <param name="ProfileWidth">Longest profile name shown before it is cut.</param>
public sealed record RunningLayout(IReadOnlyList<RunningColumn> Columns, int SparkWidth, int SessionWidth, int ProfileWidth)
{
    /// <summary>The column headers in display order.</summary>
    public IReadOnlyList<string> Headers => Columns.Select(RunningTable.Header).ToList();
}

/// <summary>The running table as drawn: the layout that fits, its rows, and the columns left out for lack of width.</summary>
/// <param name="Layout">Columns shown and chart sizes.</param>
/// <param name="Rows">One row per session, cells in <see cref="RunningLayout.Columns"/> order.</param>
/// <param name="Hidden">Columns that did not fit, in the order they were dropped.</param>
public sealed record RunningTableModel(RunningLayout Layout, IReadOnlyList<RunningRow> Rows, IReadOnlyList<RunningColumn> Hidden);

/// <summary>One row: the session it stands for, its cell texts (in layout order) and levels for colouring.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Profile">Its profile.</param>
/// <param name="Cells">Cell texts in the layout's column order.</param>
/// <param name="CpuLoad">CPU use against its limit (or the host's cores), 0..1+, NaN before the first sample.</param>
/// <param name="MemoryLoad">Memory use against its limit, 0..1+, NaN when unlimited or not yet sampled.</param>
/// <param name="HasFreshViolation">A violation of this session has just arrived (row is highlighted).</param>
public sealed record RunningRow(
    string SessionId,
    string Profile,
    IReadOnlyList<string> Cells,
    double CpuLoad,
    double MemoryLoad,
    bool HasFreshViolation);

/// <summary>Turns sessions and their usage history into the rows of the running table.</summary>
public static class RunningTable
{
    /// <summary>
    /// True when <paramref name="a"/> and <paramref name="b"/> would be drawn alike: same layout, hidden columns and rows
    /// (ids, cell texts, load levels, highlight). The pane then leaves the table as it is instead of redrawing it —
    /// with idle envs older than an hour (uptime shown in minutes) most refreshes change nothing.
    /// </summary>
    public static bool SameAs(RunningTableModel a, RunningTableModel b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Layout.SparkWidth != b.Layout.SparkWidth || a.Layout.SessionWidth != b.Layout.SessionWidth || a.Layout.ProfileWidth != b.Layout.ProfileWidth
            || !a.Layout.Columns.SequenceEqual(b.Layout.Columns) || !a.Hidden.SequenceEqual(b.Hidden) || a.Rows.Count != b.Rows.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Rows.Count; i++)
        {
            RunningRow x = a.Rows[i], y = b.Rows[i];
            if (x.SessionId != y.SessionId || x.Profile != y.Profile || x.HasFreshViolation != y.HasFreshViolation
                || !x.CpuLoad.Equals(y.CpuLoad) || !x.MemoryLoad.Equals(y.MemoryLoad) || !x.Cells.SequenceEqual(y.Cells, StringComparer.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The layout for a table <paramref name="width"/> cells wide: every column always (the table scrolls sideways
    /// when it must), with sparklines and names shortened on narrow terminals so that 80 columns show everything
    /// up to the memory column and wide terminals get longer charts.
    /// </summary>
    public static RunningLayout LayoutFor(int width)
    {
        RunningColumn[] all =
        [
            RunningColumn.Session, RunningColumn.Profile, RunningColumn.Ip, RunningColumn.Uptime,
            RunningColumn.Cpu, RunningColumn.Memory, RunningColumn.Pids, RunningColumn.Net,
        ];
        return width switch
        {
            >= 160 => new RunningLayout(all, 20, 24, 24),
            >= 130 => new RunningLayout(all, 12, 20, 20),
            >= 100 => new RunningLayout(all, 8, 14, 16),
            _ => new RunningLayout(all, 4, 10, 12),
        };
    }

    /// <summary>Width the memory text is padded to before its sparkline.</summary>
    public const int MemoryTextWidth = 11;

    /// <summary>The order in which columns give way when the table is too narrow: network first, then IP, then uptime.</summary>
    public static IReadOnlyList<RunningColumn> DropOrder { get; } = [RunningColumn.Net, RunningColumn.Ip, RunningColumn.Uptime, RunningColumn.Pids];

    /// <summary>
    /// Builds the table for a width of <paramref name="width"/> cells: rows as in <see cref="Build(IReadOnlyList{TuiSession}, UsageHistory, RunningLayout, DateTimeOffset, int, IReadOnlySet{string}?)"/>,
    /// then, while the widest cell of every column plus one space between columns exceeds the width, drops columns in
    /// <see cref="DropOrder"/>. Session, profile, CPU and memory always stay.
    /// </summary>
    public static RunningTableModel Build(
        IReadOnlyList<TuiSession> sessions,
        UsageHistory history,
        int width,
        DateTimeOffset now,
        int hostCores,
        IReadOnlySet<string>? freshViolations = null)
    {
        var layout = LayoutFor(width);
        var rows = Build(sessions, history, layout, now, hostCores, freshViolations);
        var hidden = new List<RunningColumn>();
        foreach (var drop in DropOrder)
        {
            if (NeededWidth(layout, rows) <= width)
            {
                break;
            }

            var index = layout.Columns.ToList().IndexOf(drop);
            if (index < 0)
            {
                continue;
            }

            hidden.Add(drop);
            layout = layout with { Columns = layout.Columns.Where((_, i) => i != index).ToList() };
            rows = rows.Select(r => r with { Cells = r.Cells.Where((_, i) => i != index).ToList() }).ToList();
        }

        return new RunningTableModel(layout, rows, hidden);
    }

    /// <summary>The width the table needs: the widest cell (or header) of each column, plus one space between columns.</summary>
    public static int NeededWidth(RunningLayout layout, IReadOnlyList<RunningRow> rows)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(rows);
        var total = 0;
        for (var c = 0; c < layout.Columns.Count; c++)
        {
            var widest = Header(layout.Columns[c]).Length;
            foreach (var row in rows)
            {
                widest = Math.Max(widest, row.Cells[c].Length);
            }

            total += widest + (c > 0 ? 1 : 0);
        }

        return total;
    }

    /// <summary>The header of a column.</summary>
    public static string Header(RunningColumn column) => column switch
    {
        RunningColumn.Session => "SESSION",
        RunningColumn.Profile => "PROFILE",
        RunningColumn.Ip => "IP",
        RunningColumn.Uptime => "UP",
        RunningColumn.Cpu => "CPU",
        RunningColumn.Memory => "MEM",
        RunningColumn.Pids => "PIDS",
        RunningColumn.Net => "NET/s ↓/↑",
        _ => column.ToString(),
    };

    /// <summary>
    /// Rows sorted by profile then start time. CPU is charted against the session's CPU limit, or against
    /// <paramref name="hostCores"/> cores when it has none; memory against its limit, or its own recent maximum.
    /// </summary>
    public static IReadOnlyList<RunningRow> Build(
        IReadOnlyList<TuiSession> sessions,
        UsageHistory history,
        RunningLayout layout,
        DateTimeOffset now,
        int hostCores,
        IReadOnlySet<string>? freshViolations = null)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(layout);
        return sessions
            .OrderBy(s => s.Profile, StringComparer.Ordinal)
            .ThenBy(s => s.StartedAt)
            .ThenBy(s => s.Id, StringComparer.Ordinal)
            .Select(s => Row(s, history.Get(s.Id), layout, now, hostCores, freshViolations?.Contains(s.Id) == true))
            .ToList();
    }

    /// <summary>The row of one session.</summary>
    public static RunningRow Row(TuiSession session, SessionUsage? usage, RunningLayout layout, DateTimeOffset now, int hostCores, bool freshViolation)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(layout);
        var cpuScale = CpuScale(session, hostCores);
        var cpuLoad = usage is null ? double.NaN : usage.Latest.CpuPercent / cpuScale;
        var memoryLoad = usage is null || session.MemoryLimitBytes is not > 0
            ? double.NaN
            : (double)usage.Latest.MemoryBytes / session.MemoryLimitBytes.Value;
        var cells = layout.Columns.Select(c => Cell(c, session, usage, layout, now, cpuScale, freshViolation)).ToList();
        return new RunningRow(session.Id, session.Profile, cells, cpuLoad, memoryLoad, freshViolation);
    }

    /// <summary>The CPU percentage that fills a chart: 100 per core of the limit, or of the host.</summary>
    public static double CpuScale(TuiSession session, int hostCores)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.CpuLimitCores is > 0 ? session.CpuLimitCores.Value * 100 : Math.Max(1, hostCores) * 100.0;
    }

    private static string Cell(RunningColumn column, TuiSession s, SessionUsage? usage, RunningLayout layout, DateTimeOffset now, double cpuScale, bool freshViolation)
    {
        switch (column)
        {
            case RunningColumn.Session:
                return (freshViolation ? "⚠ " : "") + TuiFormat.Truncate(TuiFormat.Clean(s.Id), layout.SessionWidth);
            case RunningColumn.Profile:
                return TuiFormat.Truncate(TuiFormat.Clean(s.Profile), layout.ProfileWidth);
            case RunningColumn.Ip:
                return string.IsNullOrEmpty(s.Ip) ? TuiFormat.Missing : TuiFormat.Clean(s.Ip);
            case RunningColumn.Uptime:
                return TuiFormat.Uptime(now - s.StartedAt);
            case RunningColumn.Cpu:
                if (usage is null)
                {
                    return TuiFormat.Missing;
                }

                return TuiFormat.Percent(usage.Latest.CpuPercent).PadLeft(4) + " " + Sparkline.Render(usage.CpuPercent, layout.SparkWidth, cpuScale);
            case RunningColumn.Memory:
                if (usage is null)
                {
                    return s.MemoryLimitBytes is { } limit ? "-/" + TuiFormat.Bytes(limit) : TuiFormat.Missing;
                }

                var memoryScale = Sparkline.ScaleFor(usage.MemoryBytes, s.MemoryLimitBytes, 1);
                // Padded so the sparklines of different rows line up in most cases ("106.6M/768M" is 11 wide).
                return TuiFormat.MemoryOfLimit(usage.Latest.MemoryBytes, s.MemoryLimitBytes).PadRight(MemoryTextWidth) + " "
                    + Sparkline.Render(usage.MemoryBytes, layout.SparkWidth, memoryScale);
            case RunningColumn.Pids:
                return usage is null
                    ? (s.PidsLimit is { } pl ? "-/" + pl.ToString(System.Globalization.CultureInfo.InvariantCulture) : TuiFormat.Missing)
                    : TuiFormat.CountOfLimit(usage.Latest.Pids, s.PidsLimit);
            case RunningColumn.Net:
                return usage is null ? TuiFormat.Missing : TuiFormat.RatePair(usage.RxBytesPerSecond, usage.TxBytesPerSecond);
            default:
                return "";
        }
    }
}
