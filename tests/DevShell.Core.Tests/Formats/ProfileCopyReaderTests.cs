using System.Collections;
using System.Reflection;
using System.Text;
using System.Text.Json;
using DevShell.Core.Formats;
using DevShell.Core.Presets;
using DevShell.Core.Profiles;

namespace DevShell.Core.Tests.Formats;

/// <summary>
/// The hand-written reader of profile copies must give what the serializer gives, for every property of the model:
/// a property added to the model and not to the reader makes the first test fail (the reader returns null for it).
/// </summary>
public class ProfileCopyReaderTests
{
    private static byte[] Copy(Profile profile) => Encoding.UTF8.GetBytes(ProfileJson.Serialize(profile, includeStoreFields: true));

    [Fact]
    public void Every_property_of_the_model_set_reads_back_as_the_serializer_reads_it()
    {
        var profile = new Profile();
        int set = Fill(profile, "p");
        Assert.True(set >= 40, $"only {set} properties were set");
        byte[] json = Copy(profile);

        var read = ProfileCopyReader.TryRead(json);

        Assert.NotNull(read);
        var bySerializer = JsonSerializer.Deserialize(json, ProfileJson.TypeInfo)!;
        Assert.Equal(ProfileJson.Serialize(bySerializer, includeStoreFields: true), ProfileJson.Serialize(read, includeStoreFields: true));
        Assert.Equal(Encoding.UTF8.GetString(json), ProfileJson.Serialize(read, includeStoreFields: true));
        Assert.Equal(DateTimeKind.Utc, read.Created.Kind);
    }

    [Fact]
    public void Every_preset_and_a_default_profile_read_back_unchanged()
    {
        foreach (var profile in BuiltInPresets.Load().Append(new Profile { Name = "bare" }))
        {
            byte[] json = Copy(profile);
            var read = ProfileCopyReader.TryRead(json);
            Assert.NotNull(read);
            Assert.Equal(Encoding.UTF8.GetString(json), ProfileJson.Serialize(read, includeStoreFields: true));
        }
    }

    [Theory]
    [InlineData("""{"name":"a","unknown":1}""")]
    [InlineData("""{"name":null}""")]
    [InlineData("""{"name":"a","tags":"x"}""")]
    [InlineData("""{"name":"a","tags":[1]}""")]
    [InlineData("""{"name":"a","env":{"K":"1","K":"2"}}""")]
    [InlineData("""{"name":"a","limits":{"cpu":"half"}}""")]
    [InlineData("""{"name":"a","network":{"mode":"bridge","egress":{"policy":"none","extra":true}}}""")]
    [InlineData("""{"name":"a","mounts":[{"target":"/x","readonly":"yes"}]}""")]
    [InlineData("""{"name":"a"} {}""")]
    [InlineData("""{"name":"a\""")]
    [InlineData("""[]""")]
    [InlineData("")]
    public void Anything_the_store_does_not_write_is_left_to_the_serializer(string json)
    {
        Assert.Null(ProfileCopyReader.TryRead(Encoding.UTF8.GetBytes(json)));
    }

    /// <summary>
    /// Sets every settable property under <paramref name="target"/> to a value that differs from the default; returns
    /// how many it set. A property of a type it does not know fails the test: extend it (and the reader).
    /// </summary>
    private static int Fill(object target, string path)
    {
        int count = 0;
        foreach (var property in target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            string name = $"{path}.{property.Name}";
            var type = property.PropertyType;
            var underlying = Nullable.GetUnderlyingType(type) ?? type;
            object value;
            if (type == typeof(string)) value = $"v-{property.Name.ToLowerInvariant()}";
            else if (type == typeof(List<string>)) value = new List<string> { $"a-{property.Name}", "b" };
            else if (type == typeof(Dictionary<string, string>)) value = new Dictionary<string, string> { ["K1"] = "v1", ["K2"] = "v 2" };
            else if (underlying == typeof(bool)) value = !(bool)(property.GetValue(target) ?? false);
            else if (underlying == typeof(int)) value = 7;
            else if (underlying == typeof(double)) value = 0.25;
            else if (underlying == typeof(DateTime)) value = new DateTime(2026, 11, 23, 21, 0, 0, 123, DateTimeKind.Utc).AddTicks(4567);
            else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) && type.GetGenericArguments()[0].IsClass)
            {
                var item = Activator.CreateInstance(type.GetGenericArguments()[0])!;
                count += Fill(item, name + "[0]");
                var list = (IList)Activator.CreateInstance(type)!;
                list.Add(item);
                value = list;
            }
            else if (type.IsClass && type.Namespace == typeof(Profile).Namespace)
            {
                value = Activator.CreateInstance(type)!;
                count += Fill(value, name);
            }
            else
            {
                throw new InvalidOperationException($"{name}: no test value for {type}; extend Fill and ProfileCopyReader");
            }

            property.SetValue(target, value);
            count++;
        }

        return count;
    }
}
