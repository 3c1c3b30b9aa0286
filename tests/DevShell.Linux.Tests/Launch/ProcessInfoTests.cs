using System.Diagnostics;
using System.Text;
using DevShell.Linux.Launch;
using Xunit;

namespace DevShell.Linux.Tests.Launch;

/// <summary>Telling a live process from a reused pid: field 22 of /proc/PID/stat.</summary>
public sealed class ProcessInfoTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("dsproc-").FullName;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    [Fact]
    public void Start_ticks_are_field_22_even_when_the_command_name_has_spaces_and_parentheses()
    {
        // 52 fields as the kernel writes them; the name "(a) b)" would break a naive split on spaces or on the first ')'.
        string line = "4242 ((a) b)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1234 56 " + string.Join(' ', Enumerable.Repeat("0", 29)) + "\n";
        WriteStat(4242, line);
        Assert.Equal(987654, ProcessInfo.StartTicks(4242, _proc));
        Assert.True(ProcessInfo.IsSameProcess(4242, 987654, _proc));
        Assert.False(ProcessInfo.IsSameProcess(4242, 987655, _proc));
    }

    [Fact]
    public void The_first_child_is_the_first_pid_of_the_main_threads_children_file()
    {
        string task = Path.Combine(_proc, "4646", "task", "4646");
        Directory.CreateDirectory(task);
        File.WriteAllText(Path.Combine(task, "children"), "4650 4702 ");
        Assert.Equal(4650, ProcessInfo.FirstChild(4646, _proc));
        File.WriteAllText(Path.Combine(task, "children"), "");
        Assert.Null(ProcessInfo.FirstChild(4646, _proc));
        Assert.Null(ProcessInfo.FirstChild(999_999, _proc));
    }

    [Fact]
    public void The_first_child_of_a_real_process_is_the_one_it_started()
    {
        using var shell = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 30 & echo $!; wait"]) { RedirectStandardOutput = true })!;
        try
        {
            int sleeper = int.Parse(shell.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(sleeper, ProcessInfo.FirstChild(shell.Id));
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
            shell.WaitForExit(5000);
        }
    }

    [Fact]
    public void A_missing_or_truncated_stat_file_means_the_process_is_gone()
    {
        Assert.Null(ProcessInfo.StartTicks(999_999, _proc));
        Assert.False(ProcessInfo.IsSameProcess(999_999, null, _proc));
        WriteStat(4343, "4343 (sh) S 1 2 3\n");
        Assert.Null(ProcessInfo.StartTicks(4343, _proc));
        Assert.Null(ProcessInfo.ParseStartTicks("no parenthesis at all"u8));
    }

    [Fact]
    public void A_zombie_is_told_by_the_state_after_the_last_parenthesis_and_a_missing_process_counts_as_gone()
    {
        WriteStat(4444, "4444 (a) S) Z 1 4444 4444 0 -1 0\n");
        WriteStat(4545, "4545 (Z) S 1 4545 4545 0 -1 0\n");
        Assert.True(ProcessInfo.IsZombieOrGone(4444, _proc));
        Assert.False(ProcessInfo.IsZombieOrGone(4545, _proc));
        Assert.True(ProcessInfo.IsZombieOrGone(999_999, _proc));
    }

    [Fact]
    public void A_real_process_matches_its_own_start_time_and_not_once_it_has_exited()
    {
        using var p = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            long? ticks = ProcessInfo.StartTicks(p.Id);
            Assert.NotNull(ticks);
            // The same value /proc shows, parsed independently here.
            string stat = File.ReadAllText($"/proc/{p.Id}/stat");
            Assert.Equal(long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], System.Globalization.CultureInfo.InvariantCulture), ticks);
            Assert.True(ProcessInfo.IsSameProcess(p.Id, ticks));
            Assert.False(ProcessInfo.IsSameProcess(p.Id, ticks + 1));
        }
        finally
        {
            p.Kill();
            Assert.True(p.WaitForExit(10_000));
        }
        Assert.False(ProcessInfo.IsSameProcess(p.Id, null));
    }

    private void WriteStat(int pid, string line)
    {
        Directory.CreateDirectory(Path.Combine(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        File.WriteAllText(Path.Combine(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "stat"), line, Encoding.ASCII);
    }
}
