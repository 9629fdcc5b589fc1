#include "prs/util/h5_element_type.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <memory>

namespace prs::util::h5 {

namespace {

Datatype copy_of(hid_t type) { return Datatype(H5Tcopy(type), "cannot copy a datatype"); }

// Little-endian explicitly, as the numpy dtype strings say "<".
hid_t integer_type(std::size_t size, bool is_signed) {
    switch (size) {
        case 1:
            return is_signed ? H5T_STD_I8LE : H5T_STD_U8LE;
        case 2:
            return is_signed ? H5T_STD_I16LE : H5T_STD_U16LE;
        case 4:
            return is_signed ? H5T_STD_I32LE : H5T_STD_U32LE;
        case 8:
            return is_signed ? H5T_STD_I64LE : H5T_STD_U64LE;
        default:
            return H5I_INVALID_HID;
    }
}

// HDF5 predefines no half float; this is h5py's IEEE binary16 (sign bit 15, 5-bit
// exponent at 10 biased by 15, 10-bit mantissa), numpy's "<f2".
Datatype half_float_type() {
    Datatype t = copy_of(H5T_IEEE_F32LE);
    check(H5Tset_fields(t.get(), 15, 10, 5, 0, 10), "cannot build a half-float type");
    check(H5Tset_size(t.get(), 2), "cannot build a half-float type");
    check(H5Tset_ebias(t.get(), 15), "cannot build a half-float type");
    return t;
}

std::string member_name(hid_t type, unsigned index) {
    const std::unique_ptr<char, decltype(&H5free_memory)> name(H5Tget_member_name(type, index), &H5free_memory);
    return name ? std::string(name.get()) : std::string();
}

// h5py stores numpy booleans as an enum over int8 with exactly FALSE = 0 and TRUE = 1.
bool is_h5py_bool(hid_t type) {
    if (H5Tget_nmembers(type) != 2) return false;
    const Datatype base(H5Tget_super(type), "cannot read an enum's base type");
    if (H5Tget_class(base.get()) != H5T_INTEGER || H5Tget_size(base.get()) != 1) return false;
    const char* names[] = {"FALSE", "TRUE"};
    for (unsigned i = 0; i < 2; ++i) {
        std::int8_t value = -1;
        if (member_name(type, i) != names[i] || H5Tget_member_value(type, i, &value) < 0 || value != std::int8_t(i))
            return false;
    }
    return true;
}

// Enum conversion goes by member name, so the file's enum reads into this one whatever
// its base type's byte order.
Datatype bool_type() {
    Datatype t(H5Tenum_create(H5T_NATIVE_INT8), "cannot build a boolean type");
    const std::int8_t no = 0, yes = 1;
    check(H5Tenum_insert(t.get(), "FALSE", &no), "cannot build a boolean type");
    check(H5Tenum_insert(t.get(), "TRUE", &yes), "cannot build a boolean type");
    return t;
}

std::string describe(hid_t type, H5T_class_t type_class, std::size_t size) {
    switch (type_class) {
        case H5T_INTEGER:
            return fmt::format("a {}-byte integer", size);
        case H5T_FLOAT:
            return fmt::format("a {}-byte float", size);
        case H5T_STRING:
            return H5Tis_variable_str(type) > 0 ? "a variable-length string" : "a fixed-length string";
        case H5T_ENUM:
            return "an enum (other than h5py's booleans)";
        case H5T_COMPOUND:
            return "a compound (struct) type";
        case H5T_ARRAY:
            return "an array type";
        case H5T_VLEN:
            return "a variable-length sequence";
        case H5T_TIME:
            return "a time type";
        case H5T_BITFIELD:
            return "a bitfield";
        case H5T_OPAQUE:
            return "an opaque type";
        case H5T_REFERENCE:
            return "a reference";
        default:
            return "an unknown type";
    }
}

}  // namespace

ElementType element_type(hid_t file_type) {
    const H5T_class_t type_class = check(H5Tget_class(file_type), "cannot read the element type");
    const std::size_t size = H5Tget_size(file_type);
    switch (type_class) {
        case H5T_INTEGER: {
            const bool is_signed = H5Tget_sign(file_type) == H5T_SGN_2;
            if (const hid_t t = integer_type(size, is_signed); t >= 0)
                return {fmt::format("<{}{}", is_signed ? 'i' : 'u', size), copy_of(t)};
            break;
        }
        case H5T_FLOAT:
            if (size == 2) return {"<f2", half_float_type()};
            if (size == 4) return {"<f4", copy_of(H5T_IEEE_F32LE)};
            if (size == 8) return {"<f8", copy_of(H5T_IEEE_F64LE)};
            break;
        case H5T_ENUM:
            if (is_h5py_bool(file_type)) return {"?", bool_type()};
            break;
        case H5T_STRING:
            if (H5Tis_variable_str(file_type) == 0) {
                // numpy 'S' holds exactly `size` bytes, padded with nulls and not terminated.
                Datatype t = copy_of(file_type);
                check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), "cannot build a string type");
                return {fmt::format("S{}", size), std::move(t)};
            }
            break;
        default:
            break;
    }
    throw Error(
        fmt::format("its elements are {}, which prs_mpi does not read into numpy; it reads integers, "
                    "floats, h5py booleans and fixed-length strings (numpy/h5py dtype 'S<n>')",
                    describe(file_type, type_class, size)));
}

}  // namespace prs::util::h5
