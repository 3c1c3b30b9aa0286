// Drives DevShellStore from a separate process so tests can check behaviour across processes.
// Every committed write prints one line, flushed, so a test that kills this process knows what was acknowledged.
//
//   add    DB PREFIX COUNT         add profiles PREFIX-0..COUNT-1            prints "added NAME"
//   bump   DB PROFILE COUNT        COUNT successful read-modify-write edits   prints "bumped REV", then "conflicts N"
//   alloc  DB PREFIX COUNT SUBNET  lease COUNT addresses for sessions        prints "leased IP SESSION"
//   events DB SESSION COUNT        append COUNT events                        prints "event ID"
using System.Globalization;
using DevShell.Core.Events;
using DevShell.Core.Networking;
using DevShell.Core.Profiles;
using DevShell.Core.Storage;

var options = new StoreOptions { AutoBackup = false };
using var store = DevShellStore.Open(args[1], options);
var count = int.Parse(args[3], CultureInfo.InvariantCulture);
switch (args[0])
{
    case "add":
        for (var i = 0; i < count; i++)
        {
            var name = $"{args[2]}-{i}";
            store.Add(new Profile { Name = name });
            Console.WriteLine($"added {name}");
        }

        break;
    case "bump":
        var conflicts = 0;
        for (var done = 0; done < count;)
        {
            var profile = store.Require(args[2]);
            var value = int.Parse(profile.Env.GetValueOrDefault("COUNTER", "0"), CultureInfo.InvariantCulture);
            profile.Env["COUNTER"] = (value + 1).ToString(CultureInfo.InvariantCulture);
            try
            {
                var stored = store.Update(profile, profile.Revision);
                Console.WriteLine($"bumped {stored.Revision}");
                done++;
            }
            catch (ConcurrencyConflictException)
            {
                conflicts++;
            }
        }

        Console.WriteLine($"conflicts {conflicts}");
        break;
    case "alloc":
        var subnet = Ipv4Cidr.Parse(args[4]);
        for (var i = 0; i < count; i++)
        {
            var session = $"{args[2]}{i:x4}";
            var lease = store.AllocateIp(session, subnet);
            Console.WriteLine($"leased {lease.Ip} {session}");
        }

        break;
    case "events":
        for (var i = 0; i < count; i++)
        {
            var id = store.AppendEvent(new EventRecord { SessionId = args[2], Kind = EventKinds.CpuThrottled, Value = i });
            Console.WriteLine($"event {id}");
        }

        break;
    default:
        Console.Error.WriteLine($"unknown command {args[0]}");
        return 2;
}

return 0;
