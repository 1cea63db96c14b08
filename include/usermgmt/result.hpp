#pragma once
/// @file result.hpp
/// `Result<T>`: a value or an `Error`, with the member names of `std::expected`.

#include "usermgmt/export.hpp"
#include "usermgmt/error.hpp"

#include <cstdlib>
#include <utility>
#include <variant>

namespace usermgmt {

namespace detail {
/// Says on stderr which alternative was asked for and what the Result held (the error's code,
/// message and fields, or that it held a value), then aborts. A caller's bug explains itself.
[[noreturn]] USERMGMT_EXPORT void abort_on_wrong_access(const Error* held_error, bool asked_for_value) noexcept;
}  // namespace detail

/// Either a `T` or an `Error`. Accessing the wrong alternative is a bug and aborts with a line
/// on stderr that names the error (no exceptions cross the library's API).
template <class T>
class [[nodiscard]] Result {
public:
    Result(const T& value) : state_(std::in_place_index<0>, value) {}
    Result(T&& value) : state_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}
    template <class U>
        requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
                 !std::is_same_v<std::remove_cvref_t<U>, Error> &&
                 !std::is_same_v<std::remove_cvref_t<U>, Result>)
    Result(U&& value) : state_(std::in_place_index<0>, T(std::forward<U>(value)))
    {
    }

    [[nodiscard]] bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    [[nodiscard]] T& value() & { check(true); return *std::get_if<0>(&state_); }
    [[nodiscard]] const T& value() const& { check(true); return *std::get_if<0>(&state_); }
    [[nodiscard]] T&& value() && { check(true); return std::move(*std::get_if<0>(&state_)); }
    [[nodiscard]] const Error& error() const& { check(false); return *std::get_if<1>(&state_); }
    [[nodiscard]] Error&& error() && { check(false); return std::move(*std::get_if<1>(&state_)); }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    template <class U>
    [[nodiscard]] T value_or(U&& fallback) const&
    {
        return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

private:
    void check(bool want_value) const
    {
        if (has_value() != want_value) detail::abort_on_wrong_access(std::get_if<1>(&state_), want_value);
    }
    std::variant<T, Error> state_;
};

/// `Result<void>`: success or an `Error`.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {}

    [[nodiscard]] bool has_value() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return has_value(); }
    void value() const
    {
        if (failed_) detail::abort_on_wrong_access(&error_, true);
    }
    [[nodiscard]] const Error& error() const&
    {
        if (!failed_) detail::abort_on_wrong_access(nullptr, false);
        return error_;
    }
    [[nodiscard]] Error&& error() &&
    {
        if (!failed_) detail::abort_on_wrong_access(nullptr, false);
        return std::move(error_);
    }

private:
    Error error_;
    bool failed_ = false;
};

}  // namespace usermgmt
