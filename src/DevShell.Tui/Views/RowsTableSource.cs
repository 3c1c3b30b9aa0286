using Terminal.Gui.Views;

namespace DevShell.Tui.Views;

/// <summary>A table of ready-made cell texts (rows come from the presenters).</summary>
internal sealed class RowsTableSource(IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows) : ITableSource
{
    public string[] ColumnNames { get; } = [.. headers];

    public int Columns => ColumnNames.Length;

    public int Rows => rows.Count;

    public object this[int row, int col] => row < rows.Count && col < rows[row].Count ? rows[row][col] : "";
}
