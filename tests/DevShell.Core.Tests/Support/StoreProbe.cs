using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace DevShell.Core.Tests.Support;

/// <summary>Runs tests/DevShell.StoreProbe as a separate process (`dotnet DevShell.StoreProbe.dll ...`).</summary>
internal sealed class StoreProbe : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private StoreProbe(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ProbePath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _lines.Enqueue(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _errors.Enqueue(e.Data);
            }
        };
        _process.Exited += (_, _) => _exited.TrySetResult();
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static string ProbePath { get; } = typeof(StoreProbe).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "StoreProbePath").Value!;

    public int Pid => _process.Id;

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public static StoreProbe Start(params string[] args)
    {
        Assert.True(File.Exists(ProbePath), $"store probe not built at {ProbePath}");
        return new StoreProbe(args);
    }

    /// <summary>Waits for exit (killing the process on timeout) and asserts exit code 0.</summary>
    public async Task<IReadOnlyList<string>> FinishAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"store probe {Pid} did not finish within {timeout}; stderr: {string.Join('\n', _errors)}");
        }

        _process.WaitForExit();
        Assert.True(_process.ExitCode == 0, $"store probe exited {_process.ExitCode}: {string.Join('\n', _errors)}");
        return Lines;
    }

    /// <summary>Waits until at least <paramref name="count"/> lines were printed.</summary>
    public async Task WaitForLinesAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_lines.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"store probe printed {_lines.Count} of {count} lines within {timeout}; stderr: {string.Join('\n', _errors)}");
            Assert.False(_exited.Task.IsCompleted && _lines.Count < count, $"store probe exited early: {string.Join('\n', _errors)}");
            await Task.Delay(10);
        }
    }

    /// <summary>SIGKILL, then wait until the process is gone and its output drained.</summary>
    public void KillHard()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
