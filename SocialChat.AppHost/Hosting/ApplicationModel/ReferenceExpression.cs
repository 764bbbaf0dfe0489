using System.Runtime.CompilerServices;
using System.Text;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>A value known at run time (a port, a password) or written as a placeholder in the manifest.</summary>
public interface IValueProvider
{
    ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default);
}

/// <summary>How a value is written in the manifest: <c>{postgres.bindings.tcp.port}</c>, <c>{cache-password.value}</c>.</summary>
public interface IManifestExpressionProvider
{
    string ValueExpression { get; }
}

public enum EndpointProperty
{
    Url,
    Host,
    Port,
    Scheme,
}

/// <summary>Points at an endpoint of a resource (of one replica); its values exist once the orchestrator has allocated it.</summary>
public sealed class EndpointReference(IResourceWithEndpoints resource, string endpointName, int replica = 0) : IValueProvider, IManifestExpressionProvider
{
    public IResourceWithEndpoints Resource { get; } = resource;

    public string EndpointName { get; } = endpointName;

    public EndpointReferenceExpression Property(EndpointProperty property) => new(this, property);

    public int Replica { get; } = replica;

    public AllocatedEndpoint? Allocated() =>
        Resource.AnnotationsOf<EndpointAnnotation>().Single(e => e.Name == EndpointName).AllocatedEndpoints.GetValueOrDefault(Replica);

    public string Url => Allocated()?.Url ?? throw new InvalidOperationException($"Endpoint '{EndpointName}' of '{Resource.Name}' is not allocated yet.");

    public string ValueExpression => $"{{{Resource.Name}.bindings.{EndpointName}.url}}";

    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Allocated()?.Url);
}

public sealed class EndpointReferenceExpression(EndpointReference endpoint, EndpointProperty property) : IValueProvider, IManifestExpressionProvider
{
    public EndpointReference Endpoint { get; } = endpoint;

    public EndpointProperty Property { get; } = property;

    public string ValueExpression =>
        $"{{{Endpoint.Resource.Name}.bindings.{Endpoint.EndpointName}.{Property.ToString().ToLowerInvariant()}}}";

    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default)
    {
        var allocated = Endpoint.Allocated();
        return ValueTask.FromResult(allocated is null ? null : Property switch
        {
            EndpointProperty.Url => allocated.Url,
            EndpointProperty.Host => allocated.Host,
            EndpointProperty.Port => allocated.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            EndpointProperty.Scheme => allocated.Scheme,
            _ => throw new ArgumentOutOfRangeException(nameof(Property)),
        });
    }
}

public sealed record AllocatedEndpoint(string Scheme, string Host, int Port)
{
    public string Url => $"{Scheme}://{Host}:{Port}";
}

/// <summary>
/// A string made of literal text and values, like Aspire's: resolved to the real value by the local
/// orchestrator and to placeholders by the manifest publisher, from one definition.
/// </summary>
public sealed class ReferenceExpression : IValueProvider, IManifestExpressionProvider
{
    private readonly string _format;
    private readonly IReadOnlyList<object> _values;

    private ReferenceExpression(string format, IReadOnlyList<object> values)
    {
        _format = format;
        _values = values;
    }

    public static ReferenceExpression Create(in ExpressionInterpolatedStringHandler handler) => handler.Build();

    public string ValueExpression => string.Format(System.Globalization.CultureInfo.InvariantCulture, _format,
        _values.Select(v => v switch
        {
            IManifestExpressionProvider provider => provider.ValueExpression,
            _ => v.ToString(),
        }).ToArray());

    public async ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default)
    {
        var resolved = new object?[_values.Count];
        for (var i = 0; i < _values.Count; i++)
        {
            resolved[i] = _values[i] is IValueProvider provider ? await provider.GetValueAsync(cancellationToken) : _values[i];
        }

        return string.Format(System.Globalization.CultureInfo.InvariantCulture, _format, resolved);
    }

    [InterpolatedStringHandler]
    public ref struct ExpressionInterpolatedStringHandler
    {
        private readonly StringBuilder _format;
        private readonly List<object> _values;

        public ExpressionInterpolatedStringHandler(int literalLength, int formattedCount)
        {
            _format = new StringBuilder(literalLength + (formattedCount * 4));
            _values = new List<object>(formattedCount);
        }

        public readonly void AppendLiteral(string value) => _format.Append(value.Replace("{", "{{").Replace("}", "}}"));

        public readonly void AppendFormatted<T>(T value)
        {
            if (value is string text)
            {
                AppendLiteral(text);
                return;
            }

            _format.Append('{').Append(_values.Count).Append('}');
            _values.Add(value ?? throw new ArgumentNullException(nameof(value)));
        }

        internal readonly ReferenceExpression Build() => new(_format.ToString(), _values);
    }
}
