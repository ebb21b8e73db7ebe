"""Export fitted estimators to ONNX, alone or inside scikit-learn pipelines.

:func:`to_onnx` turns a fitted autoencoder, :class:`~sklearn_ae.DeepEmbeddedClustering` or
:class:`~sklearn_ae.ReconstructionOutlierDetector` into an :class:`onnx.ModelProto` that
onnxruntime (or any ONNX runtime) runs without Python, torch or scikit-learn. Importing this
module also registers converters with skl2onnx, so that :func:`skl2onnx.to_onnx` converts
a whole :class:`~sklearn.pipeline.Pipeline` holding these estimators::

    import sklearn_ae.onnx  # registers the converters
    from skl2onnx import to_onnx
    onx = to_onnx(pipeline, X[:1].astype(np.float32))

The network is exported by torch's ONNX exporter, from the fitted module's ``encode``,
``decode`` and ``forward`` (the protocol of :mod:`sklearn_ae._modules`), so any module that
follows that protocol and that torch can trace exports. Its nodes are then inlined into
the graph, between casts: the graph takes float32 or float64 rows and returns the dtype it
was given, as ``transform`` does. The network itself runs in float32, whatever the dtype it
was trained in (onnxruntime's CPU kernels of convolutions and recurrent layers are float32
only): a network trained in float64 gives its outputs within float32 rounding.

Needs the ``onnx`` extra: ``pip install sklearn_ae[onnx]`` (onnx, and skl2onnx for
pipelines; onnxruntime to run the result).
"""

import copy
import io
import warnings

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from sklearn.decomposition import PCA
from sklearn.preprocessing import RobustScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted

from ._base import BaseAutoencoder
from ._clustering import DeepEmbeddedClustering
from ._outlier import ReconstructionOutlierDetector

__all__ = ["DEFAULT_OPSET", "to_onnx"]

#: The opset of the default domain of the graphs :func:`to_onnx` writes. torch's
#: TorchScript exporter writes at most opset 20.
DEFAULT_OPSET = 18
_TORCH_MAX_OPSET = 20

#: The methods each kind of estimator exports, and those exported by default.
_AUTOENCODER_METHODS = ("transform", "inverse_transform", "reconstruct")
_CLUSTERING_METHODS = ("transform", "predict")
_DETECTOR_METHODS = ("score_samples", "decision_function", "predict")
_DEFAULT_METHODS = {"autoencoder": ("transform",), "clustering": ("predict",),
                    "detector": _DETECTOR_METHODS}

_ONNX_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}


class _Graph:
    """Nodes and initializers under unique names, to add to a model or to skl2onnx's graph."""

    def __init__(self, prefix, opset):
        self.prefix, self.opset = prefix, opset
        self.nodes, self.initializers, self._count = [], [], 0

    def name(self, hint):
        self._count += 1
        return f"{self.prefix}{hint}_{self._count}"

    def op(self, op_type, inputs, output=None, **attrs):
        output = output or self.name(op_type)
        self.nodes.append(helper.make_node(
            op_type, list(inputs), [output], name=self.name(f"n_{op_type}"), **attrs
        ))
        return output

    def const(self, value, hint="c"):
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def cast(self, name, dtype, output=None):
        return self.op("Cast", [name], output, to=_ONNX_TYPES[np.dtype(dtype)])

    def inline(self, graph, input_name, output=None):
        """Add the nodes of an exported one-input, one-output ``graph``, renamed apart."""
        renamed = {graph.input[0].name: input_name}
        output = output or self.name("out")
        renamed[graph.output[0].name] = output
        prefix = self.name("g") + "/"

        def rename(value):
            if not value:
                return value  # an omitted optional input stays omitted
            if value not in renamed:
                renamed[value] = prefix + value
            return renamed[value]

        for tensor in graph.initializer:
            tensor = copy.copy(tensor)
            tensor.name = rename(tensor.name)
            self.initializers.append(tensor)
        for node in graph.node:
            if any(attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
                   for attr in node.attribute):
                raise NotImplementedError(
                    f"The exported network holds a {node.op_type} node with a subgraph, "
                    "which sklearn_ae.onnx cannot inline yet: avoid data-dependent control "
                    "flow in the module's encode/decode."
                )
            node = copy.copy(node)
            node.input[:] = [rename(v) for v in node.input]
            node.output[:] = [rename(v) for v in node.output]
            node.name = prefix + (node.name or node.op_type)
            self.nodes.append(node)
        if graph.output[0].name == graph.input[0].name:  # an identity network
            self.op("Identity", [input_name], output)
        return output


class _Method(torch.nn.Module):
    """One method of an autoencoder module (``encode``, ``decode`` or ``forward``) as a module."""

    def __init__(self, module, method):
        super().__init__()
        self.module, self.method = module, method

    def forward(self, x):
        return getattr(self.module, self.method)(x)


def _export_module(module, method, n_inputs, opset):
    """The ONNX graph of ``module.<method>`` on rows of ``n_inputs`` values, any batch size."""
    # In float32 whatever the training dtype: onnxruntime's CPU kernels of convolutions and
    # recurrent layers are float32 only.
    module = copy.deepcopy(module).cpu().float().eval()
    dummy = torch.zeros((2, n_inputs), dtype=torch.float32)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # The TorchScript exporter's notices (legacy exporter, tracing of shapes) are about
        # its own machinery; a wrong trace shows in the tests that compare outputs.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Method(module, method), (dummy,), buffer, dynamo=False,
            input_names=["x"], output_names=["y"],
            dynamic_axes={"x": {0: "n_samples"}, "y": {0: "n_samples"}},
            opset_version=min(opset, _TORCH_MAX_OPSET),
        )
    return onnx.load_from_string(buffer.getvalue()).graph


def _run_network(g, estimator, method, x, in_dtype, n_inputs, output=None):
    """Nodes that apply the fitted network's ``method`` to ``x``; the result in ``in_dtype``."""
    net_dtype = np.dtype(np.float32)
    if net_dtype != in_dtype:
        x = g.cast(x, net_dtype)
    graph = _export_module(estimator.net_.module_, method, n_inputs, g.opset)
    if net_dtype == in_dtype:
        return g.inline(graph, x, output)
    return g.cast(g.inline(graph, x), in_dtype, output)


def _autoencoder(g, estimator, methods, x, in_dtype, outputs, codes=None):
    """The nodes of an autoencoder's ``methods``, into ``outputs`` (one name per method)."""
    module_method = {"transform": "encode", "inverse_transform": "decode",
                     "reconstruct": "forward"}
    for method, output in zip(methods, outputs):
        source, width = (
            (codes, estimator._n_features_out) if method == "inverse_transform"
            else (x, estimator.n_features_in_)
        )
        _run_network(g, estimator, module_method[method], source, in_dtype, width, output)


def _clustering(g, estimator, methods, x, in_dtype, outputs):
    codes = None
    for method, output in zip(methods, outputs):
        if method == "transform":
            codes = _run_network(g, estimator.estimator_, "encode", x, in_dtype,
                                 estimator.n_features_in_, output)
    if "predict" in methods:
        if codes is None:
            codes = _run_network(g, estimator.estimator_, "encode", x, in_dtype,
                                 estimator.n_features_in_)
        # Squared distances in float64, as predict computes them: |z|^2 - 2 z.c + |c|^2.
        centers = np.asarray(estimator.cluster_centers_, dtype=np.float64)
        z = g.cast(codes, np.float64)
        z_sq = g.op("ReduceSum", [g.op("Mul", [z, z]), g.const(np.array([1]))], keepdims=1)
        cross = g.op("MatMul", [z, g.const(-2 * centers.T)])
        distances = g.op("Add", [g.op("Add", [z_sq, cross]),
                                 g.const((centers**2).sum(axis=1))])
        g.op("ArgMin", [distances], outputs[methods.index("predict")], axis=1, keepdims=0)


def _reconstruction(g, estimator, x, in_dtype):
    """Nodes that rebuild ``x`` (of ``in_dtype``) with a detector's model, in float64."""
    if isinstance(estimator, BaseAutoencoder):
        return g.cast(_run_network(g, estimator, "forward", x, in_dtype,
                                   estimator.n_features_in_), np.float64)
    if type(estimator) is PCA:
        x = g.cast(x, np.float64)
        components = np.asarray(estimator.components_, dtype=np.float64)
        scale = (np.sqrt(estimator.explained_variance_)[:, None] if estimator.whiten
                 else np.ones((len(components), 1)))
        mean = np.asarray(estimator.mean_, dtype=np.float64)
        codes = g.op("MatMul", [g.op("Sub", [x, g.const(mean)]),
                                g.const(components.T / scale.T)])
        back = g.op("MatMul", [codes, g.const(components * scale)])
        return g.op("Add", [back, g.const(mean)])
    raise NotImplementedError(
        "sklearn_ae.onnx cannot export a ReconstructionOutlierDetector over "
        f"{type(estimator).__name__}: only the autoencoders of sklearn_ae and PCA are "
        "supported as its estimator."
    )


def _scaled(g, scaler, x64):
    """Nodes of a detector's fitted scaler on float64 ``x64``, in float64."""
    if scaler is None:
        return x64
    if isinstance(scaler, (RobustScaler, StandardScaler)):
        out, robust = x64, isinstance(scaler, RobustScaler)
        if scaler.with_centering if robust else scaler.with_mean:
            center = scaler.center_ if robust else scaler.mean_
            out = g.op("Sub", [out, g.const(np.asarray(center, np.float64))])
        if (scaler.with_scaling if robust else scaler.with_std) and scaler.scale_ is not None:
            out = g.op("Div", [out, g.const(np.asarray(scaler.scale_, np.float64))])
        return out
    if hasattr(scaler, "knots_") and hasattr(scaler, "tail_slope_"):
        return _rank_gaussian(g, scaler, x64)
    raise NotImplementedError(
        "sklearn_ae.onnx cannot export a ReconstructionOutlierDetector whose scaler is "
        f"{type(scaler).__name__}."
    )


def _rank_gaussian(g, scaler, x64):
    """The rank-Gaussian scaler: per column, linear between its knots, linear tails.

    ``f(x) = z_0 + t (min(x, v_0) - v_0) + sum_k s_k (clip(x, v_k, v_k+1) - v_k)
    + t (max(x, v_m) - v_m)``, which is ``np.interp`` inside the knots and the tails outside.
    """
    columns = []
    offsets = scaler.knot_offsets_
    for j in range(len(offsets) - 1):
        v = scaler.knots_[offsets[j]:offsets[j + 1]].astype(np.float64)
        z = scaler.normal_scores_[offsets[j]:offsets[j + 1]].astype(np.float64)
        tail = float(scaler.tail_slope_[j])
        x = g.op("Slice", [x64, g.const(np.array([j])), g.const(np.array([j + 1])),
                           g.const(np.array([1]))])
        lo, hi = g.const(np.array(v[0])), g.const(np.array(v[-1]))
        below = g.op("Mul", [g.op("Sub", [g.op("Min", [x, lo]), lo]), g.const(np.array(tail))])
        above = g.op("Mul", [g.op("Sub", [g.op("Max", [x, hi]), hi]), g.const(np.array(tail))])
        out = g.op("Add", [g.op("Add", [below, above]), g.const(np.array(z[0]))])
        if len(v) > 1:
            width = np.diff(v)
            slope = np.divide(np.diff(z), width, out=np.zeros_like(width), where=width > 0)
            # (n, 1) against the (m - 1,) segments: each segment's share of x, times its slope.
            starts, ends = g.const(v[:-1]), g.const(v[1:])
            inside = g.op("Sub", [g.op("Min", [g.op("Max", [x, starts]), ends]), starts])
            out = g.op("Add", [out, g.op("MatMul", [inside, g.const(slope[:, None])])])
        columns.append(out)
    return columns[0] if len(columns) == 1 else g.op("Concat", columns, axis=1)


def _mean_neighbor_distance(g, neighbors, codes64, k):
    """Mean Euclidean distance from each code to its ``k`` nearest reference codes."""
    reference = np.asarray(neighbors._fit_X, dtype=np.float64)
    z_sq = g.op("ReduceSum", [g.op("Mul", [codes64, codes64]), g.const(np.array([1]))],
                keepdims=1)
    cross = g.op("MatMul", [codes64, g.const(-2 * reference.T)])
    squared = g.op("Add", [g.op("Add", [z_sq, cross]), g.const((reference**2).sum(axis=1))])
    squared = g.op("Max", [squared, g.const(np.array(0.0))])  # rounding below 0
    nearest = g.op("TopK", [squared, g.const(np.array([k]))], largest=0, sorted=1)
    g.nodes[-1].output.append(g.name("indices"))
    return _row_mean(g, g.op("Sqrt", [nearest]))


def _row_mean(g, x):
    if g.opset < 18:
        return g.op("ReduceMean", [x], axes=[1], keepdims=0)
    return g.op("ReduceMean", [x, g.const(np.array([1]))], keepdims=0)


def _detector(g, estimator, methods, x, in_dtype, outputs):
    """A detector's ``methods``: each model's terms on its scaled view, as score_samples."""
    members = getattr(estimator, "estimators_", [estimator.estimator_])
    scalers = getattr(estimator, "scalers_", [estimator.scaler_])
    standardized = getattr(estimator, "_standardized_", False)
    n_neighbors = getattr(estimator, "n_neighbors_", 0)
    if estimator.metric not in ("mse", "mae"):
        raise NotImplementedError(
            "sklearn_ae.onnx cannot export a ReconstructionOutlierDetector with "
            f"metric={estimator.metric!r}: only 'mse' and 'mae'.")
    # What the models see: float32 for the default autoencoders, X's dtype otherwise.
    model_dtype = np.dtype(np.float32) if estimator.estimator is None else in_dtype
    x64 = g.cast(x, np.float64)
    views, total = {}, None
    for m, (member, scaler) in enumerate(zip(members, scalers)):
        if id(scaler) not in views:
            scaled = _scaled(g, scaler, x64)
            # The view is rounded to the models' dtype, and the errors measured against it.
            model_input = scaled if model_dtype == np.float64 else g.cast(scaled, model_dtype)
            views[id(scaler)] = (model_input, g.cast(model_input, np.float64))
        model_input, reference = views[id(scaler)]
        diff = g.op("Sub", [_reconstruction(g, member, model_input, model_dtype), reference])
        errors = g.op("Mul", [diff, diff]) if estimator.metric == "mse" else g.op("Abs", [diff])
        terms = [_row_mean(g, errors)]
        if not standardized:
            total = terms[0]
            break
        if n_neighbors > 0:
            if not isinstance(member, BaseAutoencoder):
                raise NotImplementedError(
                    "sklearn_ae.onnx cannot export the code-space term of a detector over "
                    f"{type(member).__name__}: only over the autoencoders of sklearn_ae.")
            codes = _run_network(g, member, "encode", model_input, model_dtype,
                                 member.n_features_in_)
            terms.append(_mean_neighbor_distance(
                g, estimator._neighbors_[m], g.cast(codes, np.float64), n_neighbors))
        for term, (centre, spread) in zip(terms, estimator._term_stats_[m]):
            standard = g.op("Div", [g.op("Sub", [term, g.const(np.array(float(centre)))]),
                                    g.const(np.array(float(spread)))])
            total = standard if total is None else g.op("Add", [total, standard])
    if standardized:
        total = g.op("Div", [total, g.const(np.array(float(len(members))))])
    named = {"score_samples": g.op("Neg", [total])}
    named["decision_function"] = g.op(
        "Sub", [named["score_samples"], g.const(np.array(float(estimator.offset_)))])
    inlier = g.op("GreaterOrEqual", [named["decision_function"], g.const(np.array(0.0))])
    named["predict"] = g.op("Where", [inlier, g.const(np.array(1)), g.const(np.array(-1))])
    for method, output in zip(methods, outputs):
        g.op("Identity", [named[method]], output)


def _kind(estimator):
    """``(kind, builder, allowed methods)`` for a fitted estimator, or a TypeError."""
    if isinstance(estimator, BaseAutoencoder):
        return "autoencoder", _autoencoder, _AUTOENCODER_METHODS
    if type(estimator) is DeepEmbeddedClustering:
        return "clustering", _clustering, _CLUSTERING_METHODS
    if type(estimator) is ReconstructionOutlierDetector:
        return "detector", _detector, _DETECTOR_METHODS
    raise TypeError(
        "sklearn_ae.onnx.to_onnx exports the autoencoders of sklearn_ae, "
        "DeepEmbeddedClustering and ReconstructionOutlierDetector; got "
        f"{type(estimator).__name__}. For pipelines of these and of scikit-learn's "
        "estimators, use skl2onnx.to_onnx after importing sklearn_ae.onnx."
    )


def to_onnx(estimator, X=None, *, methods=None, target_opset=None):
    """Export a fitted estimator of sklearn_ae to an ONNX model.

    The model takes rows (input ``'X'``, of shape ``(n_samples, n_features_in_)``, any
    number of rows) and has one output per method, named after it; the inputs and outputs
    are those of the estimator's methods, within float32 rounding. ``inverse_transform``
    takes codes, in a second input ``'codes'``.

    Parameters
    ----------
    estimator : fitted estimator
        An autoencoder of sklearn_ae (any family), a
        :class:`~sklearn_ae.DeepEmbeddedClustering` or a
        :class:`~sklearn_ae.ReconstructionOutlierDetector`.

    X : array-like of shape (n_samples, n_features) or None, default=None
        A few rows of the data the model will get. Only their dtype is used: a float64
        array gives a model that takes and returns float64; anything else (and None)
        float32.

    methods : sequence of str or None, default=None
        The methods to export: of an autoencoder, ``'transform'`` (the default),
        ``'inverse_transform'`` and ``'reconstruct'``; of a
        :class:`~sklearn_ae.DeepEmbeddedClustering`, ``'transform'`` and ``'predict'`` (the
        default); of a detector, ``'score_samples'``, ``'decision_function'`` and
        ``'predict'`` (all three by default).

    target_opset : int or None, default=None
        The opset of the default ONNX domain; None for :data:`DEFAULT_OPSET`. The network
        itself is exported at ``min(target_opset, 20)``, the most torch's exporter writes.

    Returns
    -------
    model : onnx.ModelProto
        The model, to save with ``onnx.save(model, path)`` or to run with
        ``onnxruntime.InferenceSession(model.SerializeToString())``.

    See Also
    --------
    skl2onnx.to_onnx : Converts whole pipelines once this module is imported.

    Notes
    -----
    Not exported: a detector over another model than an autoencoder of sklearn_ae or PCA
    (:class:`NotImplementedError`), and networks whose ``encode`` or ``decode`` branches
    on the data (torch's exporter traces one path). The default detector (its ensemble,
    its robust and rank-Gaussian views and its code-space neighbours) is exported.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.onnx import to_onnx
    >>> X = np.random.RandomState(0).normal(size=(50, 4)).astype(np.float32)
    >>> ae = AutoencoderTransformer(n_components=2, max_iter=2, random_state=0).fit(X)
    >>> session = ort.InferenceSession(to_onnx(ae, X).SerializeToString())
    >>> codes, = session.run(None, {"X": X})
    >>> bool(np.allclose(codes, ae.transform(X), atol=1e-5))
    True
    """
    check_is_fitted(estimator)
    kind, build, allowed = _kind(estimator)
    methods = tuple(_DEFAULT_METHODS[kind] if methods is None
                    else [methods] if isinstance(methods, str) else methods)
    unknown = [m for m in methods if m not in allowed]
    if unknown or not methods or len(set(methods)) != len(methods):
        raise ValueError(
            f"methods={methods!r} is not a non-empty set of the methods that "
            f"{type(estimator).__name__} exports: {', '.join(allowed)}."
        )
    in_dtype = np.dtype(np.float64 if getattr(X, "dtype", None) == np.float64 else np.float32)
    opset = DEFAULT_OPSET if target_opset is None else int(target_opset)
    g = _Graph("", opset)
    inputs = [helper.make_tensor_value_info(
        "X", _ONNX_TYPES[in_dtype], ["n_samples", estimator.n_features_in_])]
    if "inverse_transform" in methods:
        inputs.append(helper.make_tensor_value_info(
            "codes", _ONNX_TYPES[in_dtype], ["n_samples", estimator._n_features_out]))
    kwargs = {"codes": "codes"} if build is _autoencoder else {}
    build(g, estimator, methods, "X", in_dtype, list(methods), **kwargs)
    widths = {"transform": estimator._n_features_out if build is _autoencoder
              else getattr(estimator.estimator_, "_n_features_out", None),
              "inverse_transform": estimator.n_features_in_,
              "reconstruct": estimator.n_features_in_}
    outputs = [helper.make_tensor_value_info(
        m, TensorProto.INT64 if m == "predict" else
        TensorProto.DOUBLE if build is _detector else _ONNX_TYPES[in_dtype],
        ["n_samples", widths[m]] if m in widths else ["n_samples"])
        for m in methods]
    graph = helper.make_graph(g.nodes, type(estimator).__name__, inputs, outputs,
                              g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="sklearn_ae")
    onnx.checker.check_model(model)
    return model


# ------------------------------------------------------------------------------- skl2onnx


def _register():
    """Register a shape calculator and a converter with skl2onnx for each public estimator."""
    try:
        from skl2onnx import update_registered_converter
        from skl2onnx.common.data_types import (
            DoubleTensorType,
            FloatTensorType,
            Int64TensorType,
        )
    except ImportError:  # skl2onnx is optional: to_onnx works without it
        return

    def in_dtype(operator):
        return np.dtype(np.float64 if isinstance(operator.inputs[0].type, DoubleTensorType)
                        else np.float32)

    def tensor_type(dtype):
        return DoubleTensorType if dtype == np.float64 else FloatTensorType

    def transformer_shape(operator):
        est = operator.raw_operator
        n = operator.inputs[0].get_first_dimension()
        operator.outputs[0].type = tensor_type(in_dtype(operator))([n, est._n_features_out])

    def clustering_shape(operator):
        n = operator.inputs[0].get_first_dimension()
        operator.outputs[0].type = Int64TensorType([n])
        if len(operator.outputs) > 1:
            operator.outputs[1].type = tensor_type(in_dtype(operator))(
                [n, operator.raw_operator.n_clusters])

    def detector_shape(operator):
        n = operator.inputs[0].get_first_dimension()
        operator.outputs[0].type = Int64TensorType([n])
        operator.outputs[1].type = tensor_type(in_dtype(operator))([n, 1])

    def add_to(container, g):
        for tensor in g.initializers:
            container.add_initializer(tensor.name, tensor.data_type, list(tensor.dims), tensor)
        for node in g.nodes:
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            container.add_node(node.op_type, list(node.input), list(node.output),
                               op_domain=node.domain, op_version=g.opset, name=node.name,
                               **attrs)

    def graph(scope, container, operator):
        opset = container.target_opset
        opset = opset.get("", DEFAULT_OPSET) if isinstance(opset, dict) else opset
        return _Graph(scope.get_unique_variable_name(type(operator.raw_operator).__name__)
                      + "/", opset or DEFAULT_OPSET)

    def transformer_converter(scope, operator, container):
        g = graph(scope, container, operator)
        _autoencoder(g, operator.raw_operator, ("transform",), operator.inputs[0].full_name,
                     in_dtype(operator), [operator.outputs[0].full_name])
        add_to(container, g)

    def clustering_converter(scope, operator, container):
        g = graph(scope, container, operator)
        est, dtype = operator.raw_operator, in_dtype(operator)
        codes = g.name("codes")
        _clustering(g, est, ("transform", "predict"), operator.inputs[0].full_name, dtype,
                    [codes, operator.outputs[0].full_name])
        if len(operator.outputs) > 1:
            # skl2onnx's second output of a clusterer: distances to the centres (as KMeans').
            centers = np.asarray(est.cluster_centers_, dtype=dtype)
            diff = g.op("Sub", [g.op("Unsqueeze", [codes, g.const(np.array([1]))]),
                                g.const(centers[None])])
            g.op("Sqrt", [g.op("ReduceSum", [g.op("Mul", [diff, diff]),
                                             g.const(np.array([2]))], keepdims=0)],
                 operator.outputs[1].full_name)
        add_to(container, g)

    def detector_converter(scope, operator, container):
        g = graph(scope, container, operator)
        dtype = in_dtype(operator)
        decision = g.name("decision")
        _detector(g, operator.raw_operator, ("predict", "decision_function"),
                  operator.inputs[0].full_name, dtype,
                  [operator.outputs[0].full_name, decision])
        scores = decision if dtype == np.float64 else g.cast(decision, dtype)
        g.op("Reshape", [scores, g.const(np.array([-1, 1]))], operator.outputs[1].full_name)
        add_to(container, g)

    from .utils import all_estimators  # the public estimators, discovered

    for name, cls in all_estimators():
        if issubclass(cls, BaseAutoencoder):
            shape, convert = transformer_shape, transformer_converter
        elif cls is DeepEmbeddedClustering:
            shape, convert = clustering_shape, clustering_converter
        elif cls is ReconstructionOutlierDetector:
            shape, convert = detector_shape, detector_converter
        else:
            continue
        update_registered_converter(cls, f"SklearnAe{name}", shape, convert, overwrite=True)


_register()
