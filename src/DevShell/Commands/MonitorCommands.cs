using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DevShell.Core.Events;
using DevShell.Core.Units;
using DevShell.Linux.Cgroups;

namespace DevShell.Commands;

/// <summary>devshell top|events.</summary>
public static class MonitorCommands
{
    public static IEnumerable<Command> Build()
    {
        var json = Cli.JsonOption();
        var once = new Option<bool>("--once") { Description = "Print one reading and exit" };
        var interval = new Option<double>("--interval") { Description = "Seconds between readings", DefaultValueFactory = _ => 1.0 };
        var top = new Command("top", "Live CPU, memory, pids, IO and network of every running env") { json, once, interval };
        top.SetAction(r => Cli.Guard(() => Top(r.GetValue(json), r.GetValue(once), r.GetValue(interval))));
        yield return top;

        var ejson = Cli.JsonOption();
        var session = new Option<string?>("--session") { Description = "Only this session's events" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new events" };
        var limit = new Option<int>("--limit", "-n") { Description = "How many recent events", DefaultValueFactory = _ => 50 };
        var events = new Command("events", "Violations (OOM, pids limit, throttling, blocked egress) and lifecycle events") { ejson, session, follow, limit };
        events.SetAction(r => Cli.Guard(() => Events(r.GetValue(ejson), r.GetValue(session), r.GetValue(follow), r.GetValue(limit))));
        yield return events;
    }

    public sealed record UsageRow(string Session, string Profile, double? CpuPercent, long? MemoryBytes, long? MemoryPeakBytes,
        long? MemoryLimitBytes, long? Pids, long? PidsLimit, long? IoBytes, long? NetRxBytes, long? NetTxBytes);

    private static int Top(bool json, bool once, double interval)
    {
        using var engine = new Engine();
        using var sampler = new UsageSampler();
        var profiles = new Dictionary<string, string>();
        var period = TimeSpan.FromSeconds(Math.Clamp(interval, 0.1, 60));
        bool first = true;
        while (true)
        {
            engine.Reconcile();
            foreach (var s in engine.Store.ListActiveSessions())
            {
                if (profiles.ContainsKey(s.Id)) continue;
                if (engine.CgroupPart.Driver.Open(s.Id) is { } handle)
                {
                    sampler.Add(s.Id, handle, s.Veth);
                    profiles[s.Id] = s.Profile;
                }
            }
            var rows = sampler.Sample().Where(x => x.Alive).Select(x => new UsageRow(x.SessionId, profiles[x.SessionId], x.CpuPercent,
                x.MemoryCurrentBytes, x.MemoryPeakBytes, x.MemoryLimitBytes, x.PidsCurrent, x.PidsLimit, x.IoBytes, x.NetRxBytes, x.NetTxBytes)).ToList();
            if (first && once)
            {
                // CPU % needs two readings.
                first = false;
                Thread.Sleep(Math.Min(500, (int)period.TotalMilliseconds));
                continue;
            }
            if (json)
            {
                Console.WriteLine(CliJson.Serialize(rows, once ? CliJson.Options : CliJson.Compact));
            }
            else
            {
                if (!once && !Console.IsOutputRedirected) Console.Write("\u001b[H\u001b[2J");
                Console.WriteLine($"{"SESSION",-9} {"PROFILE",-18} {"CPU%",6} {"MEM",8} {"LIMIT",8} {"PEAK",8} {"PIDS",5} {"NET RX",8} {"NET TX",8}");
                foreach (var r in rows)
                {
                    Console.WriteLine($"{r.Session,-9} {r.Profile,-18} {(r.CpuPercent is double c ? c.ToString("0.0", CultureInfo.InvariantCulture) : "-"),6} {Fmt(r.MemoryBytes),8} {Fmt(r.MemoryLimitBytes),8} {Fmt(r.MemoryPeakBytes),8} {r.Pids?.ToString(CultureInfo.InvariantCulture) ?? "-",5} {Fmt(r.NetRxBytes),8} {Fmt(r.NetTxBytes),8}");
                }
            }
            if (once) return ExitCodes.Ok;
            Thread.Sleep(period);
        }
    }

    private static string Fmt(long? bytes) => bytes is long b && b < long.MaxValue / 2 ? Size.Format(b) : "-";

    private static int Events(bool json, string? session, bool follow, int limit)
    {
        using var engine = new Engine();
        var recent = engine.Store.RecentEvents(Math.Clamp(limit, 1, 10_000), session);
        long last = 0;
        foreach (var e in recent.OrderBy(e => e.Id))
        {
            Print(e, json);
            last = Math.Max(last, e.Id);
        }
        while (follow)
        {
            Thread.Sleep(250);
            foreach (var e in engine.Store.QueryEvents(session, last, 1000))
            {
                Print(e, json);
                last = Math.Max(last, e.Id);
            }
        }
        return ExitCodes.Ok;
    }

    private static void Print(EventRecord e, bool json)
    {
        if (json)
        {
            Console.WriteLine(CliJson.Serialize(e, CliJson.Compact));
            return;
        }
        Console.WriteLine($"{e.Time.ToLocalTime():yyyy-MM-dd HH:mm:ss} {e.SessionId ?? "-",-8} {e.Profile ?? "-",-16} {e.Kind,-14} {e.Message}");
        Console.Out.Flush();
    }
}
