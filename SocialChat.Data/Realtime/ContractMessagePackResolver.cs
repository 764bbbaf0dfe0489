using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace SocialChat.Data.Realtime;

/// <summary>
/// MessagePack in the contract's shape: SocialChat's records are written as maps keyed by their camelCase
/// names and enums as camelCase strings, exactly as in JSON. MessagePack-CSharp's contractless resolver
/// would use the C# names (PascalCase) and enum numbers, so clients would see two different shapes.
/// </summary>
public sealed class ContractMessagePackResolver : IFormatterResolver
{
    public static readonly ContractMessagePackResolver Instance = new();

    public static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithResolver(Instance).WithSecurity(MessagePackSecurity.UntrustedData);

    private ContractMessagePackResolver()
    {
    }

    public IMessagePackFormatter<T>? GetFormatter<T>() => FormatterCache<T>.Formatter;

    private static class FormatterCache<T>
    {
        public static readonly IMessagePackFormatter<T>? Formatter = IsContractType(typeof(T))
            ? (IMessagePackFormatter<T>)Activator.CreateInstance(typeof(T).IsEnum ? typeof(CamelCaseEnumFormatter<>).MakeGenericType(typeof(T)) : typeof(CamelCaseRecordFormatter<>).MakeGenericType(typeof(T)))!
            : ContractlessStandardResolver.Instance.GetFormatter<T>();
    }

    private static bool IsContractType(Type type) => type.Namespace?.StartsWith("SocialChat.", StringComparison.Ordinal) == true && (type.IsClass || type.IsEnum);
}

internal sealed class CamelCaseEnumFormatter<TEnum> : IMessagePackFormatter<TEnum> where TEnum : struct, Enum
{
    public void Serialize(ref MessagePackWriter writer, TEnum value, MessagePackSerializerOptions options) =>
        writer.Write(JsonNamingPolicy.CamelCase.ConvertName(value.ToString()));

    public TEnum Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
        Enum.Parse<TEnum>(reader.ReadString() ?? throw new MessagePackSerializationException($"A {typeof(TEnum).Name} cannot be nil."), ignoreCase: true);
}

internal sealed class CamelCaseRecordFormatter<T> : IMessagePackFormatter<T>
{
    private static readonly PropertyInfo[] Properties = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance);
    private static readonly string[] Keys = [.. Properties.Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))];
    private static readonly ConcurrentDictionary<string, PropertyInfo> PropertiesByKey =
        new(Properties.Zip(Keys).ToDictionary(p => p.Second, p => p.First), StringComparer.OrdinalIgnoreCase);

    // Records are built through their primary constructor, so init-only and positional properties both work.
    private static readonly ConstructorInfo Constructor = typeof(T).GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();

    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteMapHeader(Properties.Length);
        for (var i = 0; i < Properties.Length; i++)
        {
            writer.Write(Keys[i]);
            MessagePackSerializer.Serialize(Properties[i].PropertyType, ref writer, Properties[i].GetValue(value), options);
        }
    }

    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return default!;
        }

        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadString() ?? string.Empty;
            if (PropertiesByKey.TryGetValue(key, out var property))
            {
                values[key] = MessagePackSerializer.Deserialize(property.PropertyType, ref reader, options);
            }
            else
            {
                reader.Skip();
            }
        }

        var arguments = Constructor.GetParameters()
            .Select(p => values.TryGetValue(p.Name!, out var value) ? value : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null)
            .ToArray();
        return (T)Constructor.Invoke(arguments);
    }
}
