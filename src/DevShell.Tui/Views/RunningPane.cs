using DevShell.Core.Presenters;
using Terminal.Gui.Drawing;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace DevShell.Tui.Views;

/// <summary>
/// The running table: one row per env with uptime, CPU and memory (each with a sparkline of the last samples),
/// pids and network rates. Rows with a fresh violation are highlighted. The selection follows the session id.
/// </summary>
internal sealed class RunningPane : FrameView
{
    private readonly Theme _theme;
    private IReadOnlyList<RunningRow> _rows = [];
    private RunningLayout _layout = RunningTable.LayoutFor(80);
    private RunningTableModel? _model;
    private string? _selectedId;
    private bool _updating;

    public RunningPane(Theme theme)
    {
        _theme = theme;
        Title = "Running";
        CanFocus = true;
        TabStop = TabBehavior.TabGroup;
        Table = new TableView
        {
            X = 0,
            Y = 0,
            Width = Dim.Fill(),
            Height = Dim.Fill(),
            FullRowSelect = true,
            CanFocus = true,
        };
        Table.Style.ShowHorizontalHeaderOverline = false;
        Table.Style.ShowHorizontalBottomLine = false;
        Table.Style.ShowVerticalCellLines = false;
        Table.Style.ShowVerticalHeaderLines = false;
        Table.Style.ExpandLastColumn = true;
        Table.Style.AlwaysShowHeaders = true;
        Table.Style.RowColorGetter = args =>
            args.RowIndex < _rows.Count && _rows[args.RowIndex].HasFreshViolation ? _theme.FreshViolationRow(GetScheme()) : null!;
        Table.ValueChanged += (_, _) =>
        {
            if (!_updating && SelectedRow is { } row)
            {
                _selectedId = row.SessionId;
            }
        };
        Table.Table = new RowsTableSource(_layout.Headers, []);
        Add(Table);
    }

    public TableView Table { get; }

    /// <summary>The selected env, or null.</summary>
    public RunningRow? SelectedRow
    {
        get
        {
            var row = Table.Value?.SelectedCell.Y ?? -1;
            return row >= 0 && row < _rows.Count ? _rows[row] : null;
        }
    }

    /// <summary>The number of envs shown.</summary>
    public int Count => _rows.Count;

    /// <summary>Rebuilds the rows from the latest sessions and usage history.</summary>
    public void Update(IReadOnlyList<TuiSession> sessions, UsageHistory history, DateTimeOffset now, IReadOnlySet<string> freshViolations)
    {
        var width = Math.Max(40, Viewport.Width);
        var model = RunningTable.Build(sessions, history, width, now, Environment.ProcessorCount, freshViolations);
        if (_model is not null && RunningTable.SameAs(_model, model))
        {
            return; // nothing on screen would change: no redraw
        }

        _model = model;
        _updating = true;
        try
        {
            var rowOffset = Table.RowOffset;
            _layout = model.Layout;
            _rows = model.Rows;
            Table.Table = new RowsTableSource(_layout.Headers, _rows.Select(r => r.Cells).ToList());
            ConfigureColumns();
            var index = _selectedId is null ? -1 : IndexOf(_selectedId);
            if (index < 0 && _rows.Count > 0)
            {
                index = Math.Clamp(Table.Value?.SelectedCell.Y ?? 0, 0, _rows.Count - 1);
            }

            if (index >= 0)
            {
                Table.Value = new TableSelection(new System.Drawing.Point(0, index));
                _selectedId = _rows[index].SessionId;
            }

            Table.RowOffset = Math.Min(rowOffset, Math.Max(0, _rows.Count - 1));
            Table.EnsureValidScrollOffsets();
            Table.EnsureCursorIsVisible();
        }
        finally
        {
            _updating = false;
        }

        Title = (_rows.Count == 0 ? "Running (none)" : $"Running ({_rows.Count})")
            + (model.Hidden.Count > 0 ? " · wider terminal shows " + string.Join(", ", model.Hidden.Select(RunningTable.Header)) : "");
        Table.SetNeedsDraw();
    }

    private int IndexOf(string sessionId)
    {
        for (var i = 0; i < _rows.Count; i++)
        {
            if (_rows[i].SessionId == sessionId)
            {
                return i;
            }
        }

        return -1;
    }

    // Usage cells are coloured by load, except on the selected row and on a highlighted (fresh violation) row,
    // which keep their row colours so the selection and the alarm stay readable.
    private Scheme LoadScheme(CellColorGetterArgs args, Func<RunningRow, double> load) =>
        args.RowIndex < _rows.Count && args.RowIndex != Table.Value?.SelectedCell.Y && !_rows[args.RowIndex].HasFreshViolation
            ? _theme.Load(args.RowScheme, load(_rows[args.RowIndex]))
            : args.RowScheme;

    private void ConfigureColumns()
    {
        for (var c = 0; c < _layout.Columns.Count; c++)
        {
            var column = _layout.Columns[c];
            var style = Table.Style.GetOrCreateColumnStyle(c);
            style.MaxWidth = 40;
            style.ColorGetter = column switch
            {
                RunningColumn.Cpu => args => LoadScheme(args, r => r.CpuLoad),
                RunningColumn.Memory => args => LoadScheme(args, r => r.MemoryLoad),
                _ => null,
            };
        }
    }
}
